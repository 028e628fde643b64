/**
 * The setup every process test shares: a fresh IPC namespace and a random key per test, the
 * lab processes it started stopped with SIGTERM afterwards (as a user would), and a check that
 * nothing with the test's key is left: no segment, no semaphore set, no message queue. A test
 * that leaves one behind fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import { hexKey } from '../../src/sysv/ipc-format.ts';
import { randomKey, runLab, startLab, type Finished, type LabProcess, type RunOptions } from './cli.ts';
import { IpcNamespace } from './ipc-namespace.ts';

export interface LabFixture {
  readonly ns: IpcNamespace;
  /** The test's key; a test may point it at another key it made (e.g. through ftok). */
  key: number;
  /** The key as the command line takes it: 0x and eight hex digits. */
  readonly hexKey: string;
  /** A temporary folder of the test's own, removed afterwards. */
  readonly dir: string;
  start(args: readonly string[], options?: RunOptions): LabProcess;
  run(args: readonly string[], options?: RunOptions): Promise<Finished>;
  /** Removes the test's own fixture object with this key before the leftover check. */
  ownFixture(key: number): void;
}

export function labFixture(): LabFixture {
  let ns: IpcNamespace | undefined;
  let dir = '';
  let running: LabProcess[] = [];
  let fixtures: number[] = [];
  const fixture = {
    key: 0,
    get ns(): IpcNamespace {
      if (!ns) throw new Error('labFixture is used outside a test');
      return ns;
    },
    get hexKey(): string {
      return hexKey(fixture.key);
    },
    get dir(): string {
      return dir;
    },
    start(args: readonly string[], options: RunOptions = {}): LabProcess {
      const p = startLab(fixture.ns, args, options);
      running.push(p);
      return p;
    },
    run: (args: readonly string[], options: RunOptions = {}): Promise<Finished> => runLab(fixture.ns, args, options),
    ownFixture(key: number): void {
      fixtures.push(key);
    },
  };

  beforeEach(async () => {
    ns = await IpcNamespace.create();
    fixture.key = randomKey();
    dir = mkdtempSync(join(tmpdir(), 'ipc-lab-test-'));
  });

  afterEach(async () => {
    for (const p of running) await p.stop();
    for (const key of fixtures) fixture.ns.removeKey(key);
    const key = fixture.key | 0;
    const leftovers = {
      segment: fixture.ns.segmentWithKey(key),
      semaphoreSets: fixture.ns.semaphoreSetKeys().filter((k) => k === key).length,
      queues: fixture.ns.queueKeys().filter((k) => k === key).length,
    };
    fixture.ns.dispose([key]);
    rmSync(dir, { recursive: true, force: true });
    running = [];
    fixtures = [];
    expect(leftovers, 'the test left IPC objects behind').toEqual({ segment: undefined, semaphoreSets: 0, queues: 0 });
  });

  return fixture;
}
