/** The race lab as two real processes: torn reads without the lock, none with it, no leftovers. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomKey, runLab, startLab, type LabProcess } from './support/cli.ts';
import { IpcNamespace } from './support/ipc-namespace.ts';

const hex = (key: number) => `0x${(key >>> 0).toString(16).padStart(8, '0')}`;

let ns: IpcNamespace;
let key: number;
const running: LabProcess[] = [];

beforeEach(async () => {
  ns = await IpcNamespace.create();
  key = randomKey();
});

afterEach(async () => {
  for (const p of running.splice(0)) await p.stop();
  const leftovers = { segment: ns.segmentWithKey(key), semaphoreSets: ns.semaphoreSetKeys().filter((k) => k === (key | 0)).length };
  ns.dispose([key]);
  expect(leftovers, 'the test left IPC objects behind').toEqual({ segment: undefined, semaphoreSets: 0 });
});

function writer(env: Record<string, string> = {}): LabProcess {
  const w = startLab(ns, ['race', 'writer', '--key', hex(key)], { env });
  running.push(w);
  return w;
}

const counts = (out: string) => {
  const m = out.match(/^reads (\d+), torn (\d+)/m);
  if (!m) throw new Error(`no counts in:\n${out}`);
  return { reads: Number(m[1]), torn: Number(m[2]) };
};

describe('the race lab', () => {
  it('with UNSAFE=1 the reader counts torn reads and shows one', async () => {
    const w = writer({ UNSAFE: '1' });
    const r = await runLab(ns, ['race', 'reader', '--key', hex(key), '--seconds', '2'], { env: { UNSAFE: '1' } });
    expect(r.code, r.stderr).toBe(0);
    const { reads, torn } = counts(r.stdout);
    expect(reads).toBeGreaterThan(1000);
    expect(torn).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/first torn read: fields 0\.\.\d+ said \d+, fields \d+\.\.\d+ said \d+/);
    const done = await w.exited; // the writer stops once the reader detaches, and cleans up
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/semctl\(\d+, IPC_RMID\) = 0/);
  });

  it('with the semaphore the reader counts zero torn reads over the same run', async () => {
    const w = writer();
    const r = await runLab(ns, ['race', 'reader', '--key', hex(key), '--seconds', '2']);
    expect(r.code, r.stderr).toBe(0);
    const { reads, torn } = counts(r.stdout);
    expect(reads).toBeGreaterThan(1000);
    expect(torn).toBe(0);
    expect((await w.exited).code).toBe(0);
  });

  it('a writer killed with SIGKILL (holding the lock or not) does not block the reader, which removes what it left', async () => {
    const w = writer();
    const r = startLab(ns, ['race', 'reader', '--key', hex(key), '--seconds', '30']);
    running.push(r);
    await w.waitFor(/== writing the record/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    w.kill('SIGKILL');
    const done = await r.exited;
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/the writer is gone \(shm_nattch fell to 1\)/);
    expect(done.stdout).toMatch(/shmctl\(\d+, IPC_RMID\) = 0/);
    expect(done.stdout).toMatch(/semctl\(\d+, IPC_RMID\) = 0/);
  });

  it('SIGTERM to the writer ends the reader with its counts, and says the writer removed the record', async () => {
    const w = writer();
    const r = startLab(ns, ['race', 'reader', '--key', hex(key), '--seconds', '30']);
    running.push(r);
    await w.waitFor(/== writing the record/);
    w.kill('SIGTERM');
    expect((await w.exited).code).toBe(0);
    const done = await r.exited;
    expect(done.code).toBe(0);
    // Whichever the reader notices first: nattch falling on a removed segment, or EIDRM.
    expect(done.stdout).toMatch(/the writer stopped and removed (the record \(IPC_RMID\)|the semaphore set \(IPC_RMID woke this reader with EIDRM\))/);
    expect(done.stdout).not.toMatch(/IPC_RMID\) = 0/); // the writer removed them, not the reader
    expect(counts(done.stdout).torn).toBe(0);
  });
});
