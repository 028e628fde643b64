/**
 * ipc-lab doctor (make doctor): is this machine ready for the lab? The check a student runs on
 * their laptop the day before a workshop. One line per check, `ok` or what is wrong and the
 * fix, then a summary; exit 1 if anything failed.
 *
 *   ok    Docker answers           Engine 28.5.2 (API 1.51), linux/amd64, at unix:///var/run/docker.sock
 *   ok    Compose                  2.40.3
 *   ...
 *   8 checks: 8 ok
 *
 * The namespace and ptrace checks start throwaway containers through Compose itself, from the
 * lab's image: a Compose that ignores `ipc:` (podman-compose before 1.6 does) fails here, not
 * in the middle of a workshop. They run locked down like the lab (no network, no
 * capabilities but the ptrace pair the debug profile adds) and are removed at the end.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify, stripVTControlCharacters } from 'node:util';
import type Docker from 'dockerode';
import type { Narrator } from '../text/narrate.ts';
import { colorEnabled, paint } from '../text/style.ts';
import { engineAddress, engineFromContext, engineProblem } from './compose-lab.ts';

type Status = 'ok' | 'warn' | 'fail' | 'skip';

interface Verdict {
  readonly status: Status;
  readonly detail: string;
  /** What to do, for warn and fail. */
  readonly fix?: string;
}

interface Check {
  readonly name: string;
  run(): Promise<Verdict>;
}

const run = promisify(execFile);
/** The lab needs its image (about 0.5 GB), the test runner's (0.9 GB) and their bases. */
const NEEDED_DISK_GIB = 3;
const PROJECT = 'ipc-lab-doctor';

const ok = (detail: string): Verdict => ({ status: 'ok', detail });
const fail = (detail: string, fix: string): Verdict => ({ status: 'fail', detail, fix });
const warn = (detail: string, fix: string): Verdict => ({ status: 'warn', detail, fix });
const skip = (detail: string): Verdict => ({ status: 'skip', detail });

/** "2.40.3-desktop.1" or "v5.0.1" as numbers, or undefined. */
export function versionOf(text: string): number[] | undefined {
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

const atLeast = (v: readonly number[], min: readonly number[]): boolean => {
  for (let i = 0; i < min.length; i++) if ((v[i] ?? 0) !== min[i]) return (v[i] ?? 0) > min[i]!;
  return true;
};

async function capture(argv: readonly string[], timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(argv[0]!, argv.slice(1), {
      encoding: 'utf8',
      timeout: timeoutMs,
      env: { ...process.env, NO_COLOR: '1' },
    });
    // Compose 2.26 writes an erase-line escape before each log line, even into a pipe.
    return { code: 0, stdout: stripVTControlCharacters(stdout), stderr: stripVTControlCharacters(stderr) };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string; message: string };
    return {
      code: typeof e.code === 'number' ? e.code : 127,
      stdout: stripVTControlCharacters(e.stdout ?? ''),
      stderr: stripVTControlCharacters(e.stderr || e.message),
    };
  }
}

const firstLine = (text: string): string =>
  text
    .trim()
    .split('\n')
    .find((l) => l.trim() !== '')
    ?.trim() ?? '';

/** What the checks learn on the way and share: the engine, Compose's version, the image. */
interface Findings {
  docker?: Docker;
  engineArch?: string;
  composeVersion?: number[];
  image?: { readonly name: string; readonly arch: string; readonly created: Date; readonly size: number };
  imageProblem?: string;
}

/** A throwaway compose project from the lab's image: a donor, a joiner, and a debugger. */
function doctorProject(image: string): string {
  const locked = `    image: ${JSON.stringify(image)}
    network_mode: none
    read_only: true
    cap_drop: [ALL]
    security_opt: ["no-new-privileges:true"]
    init: true
    entrypoint: ["sh", "-c"]`;
  return `# ipc-lab doctor: removed again at the end of the check
services:
  donor:
${locked}
    user: "10001:10001"
    ipc: shareable
    command: ["readlink /proc/self/ns/ipc; exec sleep 120"]
  joiner:
${locked}
    user: "10001:10001"
    ipc: "service:donor"
    command: ["readlink /proc/self/ns/ipc; uname -m; df -Pk / | tail -n 1"]
  debugger:
${locked}
    user: "0:0"
    cap_add: [SYS_PTRACE, DAC_OVERRIDE]
    pid: "service:donor"
    command: ["gdb -q -nx -batch -p \\"$(pgrep -x sleep)\\" -ex 'info inferiors'"]
`;
}

function checks(found: Findings, imageName: string, compose: readonly string[]): Check[] {
  let projectDir: string | undefined;
  let donorNamespace: string | undefined;
  let joined: { code: number; stdout: string; stderr: string } | undefined;
  const composeIn = (dir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    capture([...compose, '--project-name', PROJECT, '--project-directory', dir, '--file', join(dir, 'compose.yaml'), ...args], 120_000);

  /** Starts the donor once, and runs the joiner: the namespace, architecture and disk checks share it. */
  const joinedRun = async (): Promise<typeof joined> => {
    if (joined || !found.image) return joined;
    projectDir = mkdtempSync(join(tmpdir(), 'ipc-lab-doctor-'));
    writeFileSync(join(projectDir, 'compose.yaml'), doctorProject(found.image.name));
    const up = await composeIn(projectDir, 'up', '--detach', '--wait', 'donor');
    if (up.code !== 0) {
      joined = {
        code: up.code,
        stdout: '',
        stderr: `${compose.join(' ')} up failed: ${firstLine(
          up.stderr
            .split('\n')
            .filter((l) => /error|denied|invalid|unsupported/i.test(l))
            .join('\n') || up.stderr,
        )}`,
      };
      return joined;
    }
    donorNamespace = firstLine((await composeIn(projectDir, 'logs', '--no-log-prefix', 'donor')).stdout);
    joined = await composeIn(projectDir, 'run', '--rm', '--no-deps', 'joiner');
    return joined;
  };

  const needsDocker = (): Verdict | undefined => (found.docker ? undefined : skip('not checked: Docker does not answer'));
  const needsImage = (): Verdict | undefined =>
    needsDocker() ?? (found.image ? undefined : skip(`not checked: needs the lab image (${found.imageProblem ?? 'make build'})`));

  return [
    {
      name: 'Docker answers',
      async run() {
        const where = engineAddress();
        const docker = engineFromContext(where);
        try {
          const v = await docker.version();
          found.docker = docker;
          found.engineArch = v.Arch;
          const fast = atLeast(versionOf(v.ApiVersion) ?? [0], [1, 44]) ? '' : ' (older than 25: make up starts about a second slower)';
          return ok(`Engine ${v.Version} (API ${v.ApiVersion}), ${v.Os}/${v.Arch}, at ${where}${fast}`);
        } catch (error) {
          const { problem, fix } = engineProblem(error, where);
          return fail(problem, fix);
        }
      },
    },
    {
      name: 'Compose v2 or later',
      async run() {
        const r = await capture([...compose, 'version', '--short'], 15_000);
        const version = versionOf(r.stdout);
        if (r.code !== 0 || !version) {
          return fail(
            `\`${compose.join(' ')} version\` failed: ${firstLine(r.stderr) || `exit ${r.code}`}`,
            'install Compose v2: Docker Desktop has it; on Linux the docker-compose-plugin package (the old docker-compose v1 is not ' +
              'enough)',
          );
        }
        found.composeVersion = version;
        if (version[0]! < 2)
          return fail(`Compose ${firstLine(r.stdout)} is v1`, 'install Compose v2 (docker-compose-plugin): the lab needs `docker compose`');
        return ok(`Compose ${firstLine(r.stdout).replace(/^v/, '')}${version[0]! >= 5 ? ' (v5)' : ''}`);
      },
    },
    {
      name: 'buildx',
      async run() {
        const r = await capture(['docker', 'buildx', 'version'], 15_000);
        if (r.code === 0)
          return ok(`buildx ${/v?(\d+\.\d+\.\d+\S*)/.exec(r.stdout)?.[1] ?? firstLine(r.stdout)}: Compose builds through it`);
        // Compose 2.37 and later build through Bake and fall back to the classic builder
        // without buildx; the classic builder cannot run the Dockerfile's RUN --mount.
        if (found.composeVersion && !atLeast(found.composeVersion, [2, 37])) {
          return warn(
            "not installed; this Compose builds through the engine's BuildKit without it",
            'install the docker-buildx-plugin package before upgrading Compose',
          );
        }
        return fail(
          `not installed (\`docker buildx version\`: ${firstLine(r.stderr)}): ` +
            "Compose would fall back to the classic builder, which cannot build the lab's Dockerfile (RUN --mount)",
          'install buildx: Docker Desktop has it; on Linux the docker-buildx-plugin package',
        );
      },
    },
    {
      name: 'the lab image',
      async run() {
        const none = needsDocker();
        if (none) return none;
        try {
          const info = await found.docker!.getImage(imageName).inspect();
          found.image = { name: imageName, arch: `${info.Os}/${info.Architecture}`, created: new Date(info.Created), size: info.Size };
          return ok(
            `${imageName}, ${info.Os}/${info.Architecture}, ${(info.Size / 1e6).toFixed(0)} MB, built ${info.Created.slice(0, 10)}: ` +
              '`make up UP_FLAGS=` runs it without any network',
          );
        } catch (error) {
          if ((error as { statusCode?: number }).statusCode !== 404)
            return fail(`could not look at ${imageName}: ${(error as Error).message}`, 'check `docker image ls`');
          found.imageProblem = 'make build';
          return fail(
            `${imageName} is not built yet, so the lab would need the internet to start`,
            "run `make build` now (or `make load` from an instructor's ipc-lab-images.tar), then make doctor again",
          );
        }
      },
    },
    {
      name: 'architecture',
      async run() {
        const none = needsImage();
        if (none) return none;
        const r = await joinedRun();
        const machine = r?.code === 0 ? r.stdout.trim().split('\n')[1]?.trim() : undefined;
        const engine = found.engineArch === 'arm64' ? 'aarch64' : found.engineArch === 'amd64' ? 'x86_64' : found.engineArch;
        if (!machine)
          return fail(`could not run the lab image: ${firstLine(r?.stderr ?? '')}`, 'see `docker compose logs`; rebuild with make build');
        if (machine === engine) return ok(`the engine runs linux/${found.engineArch}; the lab image's programs are ${machine}: native`);
        return warn(
          `the engine runs linux/${found.engineArch}, but the lab image's programs are ${machine}: they run under emulation, slowly`,
          'rebuild the image on this machine: make build',
        );
      },
    },
    {
      name: 'free disk',
      async run() {
        const none = needsImage();
        if (none) return none;
        const r = await joinedRun();
        const avail = Number(r?.stdout.trim().split('\n')[2]?.trim().split(/\s+/)[3]);
        if (!Number.isFinite(avail)) return skip(`not checked: df did not run in the container (${firstLine(r?.stderr ?? '')})`);
        const gib = avail / (1 << 20);
        if (gib < NEEDED_DISK_GIB)
          return fail(
            `${gib.toFixed(1)} GiB free where the engine keeps images; the lab needs about ${NEEDED_DISK_GIB} GiB`,
            'free space: `docker system df`, then `docker system prune`; Docker Desktop: Settings > Resources > disk',
          );
        return ok(`${gib.toFixed(0)} GiB free where the engine keeps images (the lab needs about ${NEEDED_DISK_GIB} GiB)`);
      },
    },
    {
      name: 'one IPC namespace',
      async run() {
        const none = needsImage();
        if (none) return none;
        const r = await joinedRun();
        const theirs = r?.code === 0 ? r.stdout.trim().split('\n')[0]?.trim() : undefined;
        if (!theirs || !donorNamespace)
          return fail(
            `the two containers did not start: ${firstLine(r?.stderr ?? '')}`,
            'run `docker compose version`: the lab needs Docker Compose v2 or later',
          );
        if (theirs !== donorNamespace) {
          return fail(
            `a container with ipc: "service:donor" is in ${theirs}, not in the donor's ${donorNamespace}: this Compose ignores ipc:, so ` +
              `the client could never see the segment`,
            'use Docker Compose v2 (podman-compose before 1.6 ignores ipc:)',
          );
        }
        return ok(`ipc: shareable and ipc: "service:donor" put two containers in one namespace (${theirs})`);
      },
    },
    {
      name: 'ptrace for make gdb',
      async run() {
        const none = needsImage();
        if (none) return none;
        await joinedRun();
        if (!projectDir || !donorNamespace) return skip('not checked: the containers did not start (see above)');
        const r = await composeIn(projectDir, 'run', '--rm', '--no-deps', 'debugger');
        if (r.code === 0 && /Attaching to process|inferior|process \d+/i.test(r.stdout + r.stderr))
          return ok('a container holding SYS_PTRACE attached gdb to a process of another container');
        return fail(
          `gdb could not attach: ${firstLine(
            (r.stdout + r.stderr)
              .split('\n')
              .filter((l) => /ptrace|denied|not permitted|error/i.test(l))
              .join('\n') ||
              r.stderr ||
              `exit ${r.code}`,
          )}`,
          'make gdb will not work here; everything else will. On Linux check /proc/sys/kernel/yama/ptrace_scope (3 forbids ptrace) and ' +
            'seccomp',
        );
      },
    },
    {
      name: '(cleanup)',
      async run() {
        if (!projectDir) return skip('nothing to remove');
        const down = await composeIn(projectDir, 'down', '--volumes', '--remove-orphans', '--timeout', '0');
        rmSync(projectDir, { recursive: true, force: true });
        return down.code === 0
          ? ok('the throwaway containers are removed')
          : fail(`could not remove the throwaway containers: ${firstLine(down.stderr)}`, `docker compose -p ${PROJECT} down`);
      },
    },
  ];
}

const LABELS: Record<Status, { text: string; color: Parameters<typeof paint>[0] }> = {
  ok: { text: 'ok', color: 'green' },
  warn: { text: 'warn', color: 'yellow' },
  fail: { text: 'FAIL', color: ['bold', 'red'] },
  skip: { text: 'skip', color: 'gray' },
};

export interface DoctorOptions {
  /** How to call Compose, as the Makefile's COMPOSE says. */
  readonly compose: readonly string[];
  /** The lab's image. */
  readonly image: string;
}

export async function runDoctor(options: DoctorOptions, say: Narrator): Promise<number> {
  const color = colorEnabled();
  const found: Findings = {};
  const counts: Record<Status, number> = { ok: 0, warn: 0, fail: 0, skip: 0 };
  say.step('ipc-lab doctor: can this machine run the lab?');
  for (const check of checks(found, options.image, options.compose)) {
    const verdict = await check.run();
    if (check.name === '(cleanup)' && verdict.status !== 'fail') continue;
    counts[verdict.status]++;
    const label = LABELS[verdict.status];
    say.block(`${paint(label.color, label.text.padEnd(5), color)} ${check.name.padEnd(20)} ${verdict.detail}`);
    if (verdict.fix) say.block(`${' '.repeat(27)}${paint('yellow', 'fix:', color)} ${verdict.fix}`);
  }
  const total = counts.ok + counts.warn + counts.fail + counts.skip;
  const parts = (['ok', 'warn', 'fail', 'skip'] as const)
    .filter((s) => counts[s] > 0)
    .map((s) => `${counts[s]} ${s === 'fail' ? 'failed' : s === 'warn' ? 'warning(s)' : s === 'skip' ? 'not checked' : 'ok'}`);
  say.block(
    `\n${total} checks: ` +
      `${parts.join(', ')}${counts.fail > 0 ? ': fix the failed ones, then run make doctor again' : ': ready for the lab'}`,
  );
  return counts.fail > 0 ? 1 : 0;
}
