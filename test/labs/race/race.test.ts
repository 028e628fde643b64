/** The race lab as two real processes: torn reads without the lock, none with it, no leftovers. */
import { describe, expect, it } from 'vitest';
import type { LabProcess } from '../../support/cli.ts';
import { labFixture } from '../../support/lab-fixture.ts';

const lab = labFixture();

function writer(env: Record<string, string> = {}): LabProcess {
  const w = lab.start(['race', 'writer', '--key', lab.hexKey], { env });
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
    const r = await lab.run(['race', 'reader', '--key', lab.hexKey, '--seconds', '2'], { env: { UNSAFE: '1' } });
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
    const r = await lab.run(['race', 'reader', '--key', lab.hexKey, '--seconds', '2']);
    expect(r.code, r.stderr).toBe(0);
    const { reads, torn } = counts(r.stdout);
    expect(reads).toBeGreaterThan(1000);
    expect(torn).toBe(0);
    expect((await w.exited).code).toBe(0);
  });

  it('a writer killed with SIGKILL (holding the lock or not) does not block the reader, which removes what it left', async () => {
    const w = writer();
    const r = lab.start(['race', 'reader', '--key', lab.hexKey, '--seconds', '30']);
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
    const r = lab.start(['race', 'reader', '--key', lab.hexKey, '--seconds', '30']);
    await w.waitFor(/== writing the record/);
    w.kill('SIGTERM');
    expect((await w.exited).code).toBe(0);
    const done = await r.exited;
    expect(done.code).toBe(0);
    // Whichever the reader notices first: nattch falling on a removed segment, or EIDRM.
    expect(done.stdout).toMatch(
      /the writer stopped and removed (the record \(IPC_RMID\)|the semaphore set \(IPC_RMID woke this reader with EIDRM\))/,
    );
    expect(done.stdout).not.toMatch(/IPC_RMID\) = 0/); // the writer removed them, not the reader
    expect(counts(done.stdout).torn).toBe(0);
  });
});
