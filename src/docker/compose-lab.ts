/**
 * The running lab seen through the Docker Engine API (dockerode): the compose project's
 * containers found by their labels, how each is configured (IPC mode, user, capabilities,
 * root filesystem, network), commands run inside them, their logs. `make inspect` and the
 * end-to-end tests use this instead of shelling out to `docker`.
 */
import { execFileSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { LabError } from '../core/errors.ts';

export const DEFAULT_PROJECT = 'ipc-lab';
const PROJECT_LABEL = 'com.docker.compose.project';
const SERVICE_LABEL = 'com.docker.compose.service';

export class DockerUnavailableError extends LabError {
  override readonly name = 'DockerUnavailableError';

  constructor(message: string) {
    super('failed', message);
  }
}

export interface LabContainer {
  readonly id: string;
  readonly name: string;
  readonly service: string;
  readonly running: boolean;
  /** Docker's word for its state: created (never started), running, exited, restarting, paused, dead. */
  readonly status: string;
  readonly exitCode: number;
  readonly ipcMode: string;
  readonly user: string;
  readonly readOnlyRoot: boolean;
  readonly capDrop: readonly string[];
  readonly capAdd: readonly string[];
  readonly networkMode: string;
  readonly securityOpt: readonly string[];
  readonly pid: number;
}

export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Why the engine did not answer, in words a learner can act on, with the engine's own error.
 * The three causes are told apart: nothing listens there (not running, or DOCKER_HOST or the
 * docker context points elsewhere), the socket refuses this user (the docker group), or
 * anything else (then the raw error is the best explanation).
 */
export function engineProblem(error: unknown, where = engineAddress()): { problem: string; fix: string } {
  const code = (error as { code?: string }).code;
  const raw = error instanceof Error ? error.message : String(error);
  if (code === 'EACCES' || code === 'EPERM') {
    return {
      problem: `permission denied on the Docker socket (${where}): this user may not use Docker`,
      fix:
        'on Linux, join the docker group: sudo usermod -aG docker $USER, then log out and in again (or run `newgrp docker` in this ' +
        'terminal)',
    };
  }
  if (code === 'ENOENT' || code === 'ECONNREFUSED') {
    return {
      problem: `nothing answers at ${where} (${raw})`,
      fix:
        'start Docker Desktop (macOS, Windows) or the engine (Linux: sudo systemctl start docker); if it runs elsewhere, check ' +
        'DOCKER_HOST and `docker context ls`',
    };
  }
  return { problem: `the Docker Engine at ${where} did not answer: ${raw}`, fix: 'check that `docker info` works' };
}

function explainDockerError(error: unknown): never {
  const code = (error as { code?: string }).code;
  if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'EACCES' || code === 'EPERM') {
    const { problem, fix } = engineProblem(error);
    throw new DockerUnavailableError(`cannot reach the Docker Engine: ${problem}: ${fix}`);
  }
  throw error;
}

async function collect(
  stream: NodeJS.ReadableStream,
  demux: (s: NodeJS.ReadableStream, out: PassThrough, err: PassThrough) => void,
): Promise<{ stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  out.on('data', (c: Buffer) => chunks.stdout.push(c));
  err.on('data', (c: Buffer) => chunks.stderr.push(c));
  demux(stream, out, err);
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  return { stdout: Buffer.concat(chunks.stdout).toString('utf8'), stderr: Buffer.concat(chunks.stderr).toString('utf8') };
}

/**
 * Where the engine the `docker` command talks to listens. dockerode reads DOCKER_HOST and the
 * default sockets only; Colima, rootless Docker and Docker Desktop for Linux live elsewhere,
 * and the current `docker context` says where. Asking the CLI once is the one thing here
 * dockerode cannot do.
 */
export function engineAddress(): string {
  const fromEnv = process.env.DOCKER_HOST;
  if (fromEnv) return fromEnv;
  try {
    const host = execFileSync('docker', ['context', 'inspect', '--format', '{{.Endpoints.docker.Host}}'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    }).trim();
    if (host) return host;
  } catch {
    // no docker CLI, or no context: dockerode's defaults
  }
  return process.platform === 'win32' ? 'npipe:////./pipe/docker_engine' : 'unix:///var/run/docker.sock';
}

/** A dockerode client for the engine at engineAddress(). */
export function engineFromContext(address = engineAddress()): Docker {
  if (process.env.DOCKER_HOST === address) return new Docker();
  if (address.startsWith('unix://')) return new Docker({ socketPath: address.slice('unix://'.length) });
  if (address.startsWith('npipe://')) return new Docker({ socketPath: address.slice('npipe://'.length).replace(/\//g, '\\') });
  return new Docker();
}

export class ComposeLab {
  constructor(
    readonly project = process.env.IPC_LAB_PROJECT ?? DEFAULT_PROJECT,
    readonly docker = engineFromContext(),
  ) {}

  /** Every container of the project, running or not, inspected. */
  async containers(): Promise<LabContainer[]> {
    const listed = await this.docker
      .listContainers({ all: true, filters: { label: [`${PROJECT_LABEL}=${this.project}`] } })
      .catch(explainDockerError);
    const inspected = await Promise.all(listed.map((c) => this.docker.getContainer(c.Id).inspect()));
    return inspected
      .map(
        (info): LabContainer => ({
          id: info.Id,
          name: info.Name.replace(/^\//, ''),
          service: info.Config.Labels[SERVICE_LABEL] ?? '',
          running: info.State.Running,
          status: info.State.Status,
          exitCode: info.State.ExitCode,
          ipcMode: info.HostConfig.IpcMode ?? '',
          user: info.Config.User,
          readOnlyRoot: info.HostConfig.ReadonlyRootfs ?? false,
          capDrop: info.HostConfig.CapDrop ?? [],
          capAdd: info.HostConfig.CapAdd ?? [],
          networkMode: info.HostConfig.NetworkMode ?? '',
          securityOpt: info.HostConfig.SecurityOpt ?? [],
          pid: info.State.Pid,
        }),
      )
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The service's container (a running one if there are several). */
  async container(service: string): Promise<LabContainer | undefined> {
    const matching = (await this.containers()).filter((c) => c.service === service);
    return matching.find((c) => c.running) ?? matching[0];
  }

  async require(service: string): Promise<LabContainer> {
    const found = await this.container(service);
    if (!found)
      throw new DockerUnavailableError(
        `the lab's ${service} container does not exist: start the lab with \`make up\` (docker compose up -d)`,
      );
    return found;
  }

  /** Runs a command in a running container (a service's, or this one), like `docker exec`. */
  async exec(service: string | LabContainer, cmd: readonly string[], env: Record<string, string> = {}): Promise<ExecResult> {
    const target = typeof service === 'string' ? await this.require(service) : service;
    if (!target.running)
      throw new DockerUnavailableError(
        `the ${target.service} container is not running (exit code ${target.exitCode}): \`make up\` starts the lab again`,
      );
    const exec = await this.docker.getContainer(target.id).exec({
      Cmd: [...cmd],
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({ hijack: true, stdin: false });
    const { stdout, stderr } = await collect(stream, (s, o, e) => this.docker.modem.demuxStream(s, o, e));
    const { ExitCode } = await exec.inspect();
    return { exitCode: ExitCode ?? -1, stdout, stderr };
  }

  /** Waits for the service's container to exit (like `docker wait`) and returns its exit code. */
  async wait(service: string): Promise<number> {
    const target = await this.require(service);
    const result = (await this.docker.getContainer(target.id).wait()) as { StatusCode: number };
    return result.StatusCode;
  }

  /** The IPC namespace of the container's PID 1, e.g. "ipc:[4026532253]". */
  async ipcNamespace(service: string | LabContainer): Promise<string> {
    const result = await this.exec(service, ['readlink', '/proc/1/ns/ipc']);
    if (result.exitCode !== 0) throw new Error(`readlink /proc/1/ns/ipc failed: ${result.stderr}`);
    return result.stdout.trim();
  }

  /** Everything the container printed, stdout and stderr apart. */
  async logs(service: string): Promise<{ stdout: string; stderr: string }> {
    const target = await this.require(service);
    const raw = await this.docker.getContainer(target.id).logs({ stdout: true, stderr: true, follow: false });
    const stream = new PassThrough();
    const done = collect(stream, (s, o, e) => this.docker.modem.demuxStream(s, o, e));
    stream.end(raw);
    return done;
  }

  /** The project's volumes and networks (what `make down` must remove). */
  async leftovers(): Promise<{ containers: string[]; volumes: string[]; networks: string[] }> {
    const filters = { label: [`${PROJECT_LABEL}=${this.project}`] };
    const [containers, volumes, networks] = await Promise.all([
      this.docker.listContainers({ all: true, filters }).catch(explainDockerError),
      this.docker.listVolumes({ filters }).catch(explainDockerError),
      this.docker.listNetworks({ filters }).catch(explainDockerError),
    ]);
    return {
      containers: containers.map((c) => c.Names.join(',')),
      volumes: (volumes.Volumes ?? []).map((v) => v.Name),
      networks: networks.map((n) => n.Name),
    };
  }
}
