/**
 * Drives the lab as a user would: `make <target>` where make exists, else the plain
 * `docker compose` command the README gives for that target (Windows users often have no make).
 */
import { spawn, spawnSync } from 'node:child_process';
import { ROOT } from '../support/cli.ts';

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Compose 2.26 writes an erase-line escape before each log line even into a pipe: not ours. */
export const stripComposeEscapes = (text: string): string => text.replaceAll('\x1b[2K', '');

export function run(cmd: string, args: readonly string[], env: Record<string, string> = {}, timeoutMs = 600_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: stripComposeEscapes(stdout), stderr: stripComposeEscapes(stderr) });
    });
  });
}

const hasMake = spawnSync('make', ['--version']).status === 0;

/** make race and make ring: both sides detached, wait for the second, each side's output in turn. */
const pair = (profile: string, first: string, second: string): string[][] => [
  ['compose', '--profile', profile, 'up', '--build', '--force-recreate', '--detach', first, second],
  ['wait', `ipc-lab-${second}-1`],
  ['wait', `ipc-lab-${first}-1`],
  ['logs', `ipc-lab-${first}-1`],
  ['logs', `ipc-lab-${second}-1`],
  ['compose', '--profile', profile, 'rm', '--force', '--stop', first, second],
];

/** What each make target runs, for hosts without make (the README lists the same commands). */
function dockerStepsFor(target: string, vars: Record<string, string>): string[][] {
  const saveFile = vars.SAVE_FILE ?? 'ipc-lab-images.tar';
  switch (target) {
    case 'up':
      return [
        ['compose', 'up', '--build', '--force-recreate', '--detach'],
        ['wait', 'ipc-lab-client-1'],
        ['compose', 'logs', '--no-log-prefix', 'client'],
      ];
    case 'down':
      return [
        ['compose', 'stop', 'server'],
        ['compose', 'logs', '--no-log-prefix', '--no-color', 'server'],
        ['compose', 'ps', '--all', '--format', 'server exited with code {{.ExitCode}}', 'server'],
        ['compose', '--profile', '*', 'down', '--volumes', '--remove-orphans'],
      ];
    case 'build':
      return [['compose', 'build', 'server']];
    case 'race':
      return pair('race', 'race-writer', 'race-reader');
    case 'ring':
      return pair('ring', 'ring-producer', 'ring-consumer');
    case 'gdb':
      return [
        ['compose', '--profile', 'debug', 'build', '--quiet', 'debug'],
        ['compose', '--profile', 'debug', 'run', '--rm', '--no-deps', 'debug', 'gdb'],
      ];
    case 'save':
      return [['image', 'save', '--output', saveFile, 'ipc-lab:latest']];
    case 'load':
      return [['image', 'load', '--input', saveFile]];
    default:
      throw new Error(`no docker equivalent for make ${target}`);
  }
}

export async function make(target: string, vars: Record<string, string> = {}): Promise<Ran> {
  if (hasMake) return run('make', [target, ...Object.entries(vars).map(([k, v]) => `${k}=${v}`)]);
  // Without make, the variables travel as the environment compose.yaml reads.
  let all: Ran = { code: 0, stdout: '', stderr: '' };
  for (const step of dockerStepsFor(target, vars)) {
    const r = await run('docker', step, vars);
    all = { code: r.code, stdout: all.stdout + r.stdout, stderr: all.stderr + r.stderr };
    if (r.code !== 0) break;
  }
  return all;
}

export function compose(...args: string[]): Promise<Ran> {
  return run('docker', ['compose', ...args]);
}
