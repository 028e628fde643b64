/**
 * make doctor against the real engine: on this machine every check passes (buildx may only warn
 * on an old Compose that does not need it); pointed at nothing, or at an image that is not
 * there, or given a Compose v1, it says what failed and the fix, in one line each, and exits
 * non-zero. Its throwaway containers are gone afterwards.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ComposeLab } from '../../src/docker/compose-lab.ts';
import { run } from './support.ts';

const CHECKS = [
  'Docker answers',
  'Compose v2 or later',
  'buildx',
  'the lab image',
  'architecture',
  'free disk',
  'one IPC namespace',
  'ptrace for make gdb',
];
const lineOf = (out: string, check: string): string =>
  out.split('\n').find((l) => l.slice(6).startsWith(check)) ?? `(no line for ${check})`;

afterEach(async () => {
  expect(await new ComposeLab('ipc-lab-doctor').leftovers()).toEqual({ containers: [], volumes: [], networks: [] });
});

describe('make doctor', () => {
  it('on a working machine: a line per check, every one ok, exit 0', async () => {
    await run('make', ['build']);
    const r = await run('make', ['--silent', 'doctor']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const check of CHECKS) {
      const expected = check === 'buildx' ? /^(ok|warn) / : /^ok /;
      expect(lineOf(r.stdout, check), r.stdout).toMatch(expected);
    }
    expect(r.stdout).toMatch(/one namespace \(ipc:\[\d+\]\)/);
    expect(r.stdout).toMatch(/^8 checks: .*ready for the lab$/m);
    expect(r.stdout).not.toMatch(/FAIL/);
  });

  it('with DOCKER_HOST pointing at nothing: says so with the fix, skips what needs the engine, exits non-zero', async () => {
    const r = await run('make', ['--silent', 'doctor'], { DOCKER_HOST: 'unix:///nonexistent' });
    expect(r.code).not.toBe(0);
    expect(lineOf(r.stdout, 'Docker answers')).toMatch(
      /^FAIL {2}Docker answers\s+nothing answers at unix:\/\/\/nonexistent \(connect ENOENT \/nonexistent\)$/,
    );
    expect(r.stdout).toMatch(/fix: start Docker Desktop .* check DOCKER_HOST/);
    expect(lineOf(r.stdout, 'one IPC namespace')).toMatch(/^skip .*Docker does not answer/);
    expect(r.stdout).toMatch(/1 failed.*fix the failed ones, then run make doctor again/);
    expect(r.stdout + r.stderr).not.toMatch(/at .*\.ts:\d+|node:internal/); // no stack trace
  });

  it('without the lab image: says to build it, and which checks it could not run', async () => {
    const r = await run('make', ['--silent', 'doctor'], { IPC_LAB_IMAGE: 'ipc-lab:no-such-tag' });
    expect(r.code).not.toBe(0);
    expect(lineOf(r.stdout, 'the lab image')).toMatch(/^FAIL .*ipc-lab:no-such-tag is not built yet/);
    expect(r.stdout).toMatch(/fix: run `make build` now/);
    expect(lineOf(r.stdout, 'ptrace for make gdb')).toMatch(/^skip .*needs the lab image/);
  });

  it('with a Compose v1 in COMPOSE: says v1 is not enough', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-doctor-test-'));
    try {
      // The one stand-in here: a Compose v1 that answers as the real one did.
      const v1 = join(dir, 'docker-compose');
      writeFileSync(v1, '#!/bin/sh\n[ "$1" = version ] && { echo 1.29.2; exit 0; }\nexit 1\n');
      chmodSync(v1, 0o755);
      const r = await run('make', ['--silent', 'doctor', `COMPOSE=${v1}`]);
      expect(r.code).not.toBe(0);
      expect(lineOf(r.stdout, 'Compose v2 or later')).toMatch(/^FAIL .*Compose 1\.29\.2 is v1/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
