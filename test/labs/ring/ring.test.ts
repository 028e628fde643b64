/** The ring buffer lab as two real processes: data intact, and every way of dying cleaned up. */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { BATCHED_SEM, RING_SEM } from '../../../src/labs/ring/contract.ts';
import { compileC } from '../../support/c-programs.ts';
import type { LabProcess } from '../../support/cli.ts';
import { labFixture } from '../../support/lab-fixture.ts';

const lab = labFixture();
// How soon a side must notice a signal; under qemu (scripts/ci/arm64.sh sets IPC_LAB_EMULATED)
// every instruction is emulated, several times slower, and the bound grows with it.
const NOTICED_MS = process.env.IPC_LAB_EMULATED === '1' ? 1000 : 250;

describe.each(['textbook', 'batched'] as const)('the ring buffer lab, %s design', (design) => {
  const side = (role: 'producer' | 'consumer', ...args: string[]): LabProcess =>
    lab.start(['ring', role, '--design', design, '--key', lab.hexKey, ...args]);

  it.each(['64KiB', '4KiB'])('streams generated data through %s slots and the SHA-256 matches', async (slotSize) => {
    const producer = side('producer', '--bytes', '24MiB', '--slot-size', slotSize);
    const consumer = side('consumer');
    const [p, c] = await Promise.all([producer.exited, consumer.exited]);
    expect(c.code, c.stderr).toBe(0);
    expect(p.code, p.stderr).toBe(0);
    expect(c.stdout).toMatch(/consumer: 25165824 bytes in \d+ messages, [\d.]+ MB\/s, \d+ semops \([\d.]+ a message\)/);
    expect(c.stdout).toMatch(/SHA-256 [0-9a-f]{64} matches what was sent/);
    expect(p.stdout).toMatch(/shmctl\(\d+, IPC_RMID\) = 0/);
  });

  it('carries a file byte for byte, in any slot size', async () => {
    const input = join(lab.dir, 'in.bin');
    const output = join(lab.dir, 'out.bin');
    writeFileSync(input, randomBytes(3 * 1024 * 1024 + 17));
    const producer = side('producer', '--file', input, '--slot-size', '10000', '--slots', '3');
    const consumer = side('consumer', '--output', output);
    const [p, c] = await Promise.all([producer.exited, consumer.exited]);
    expect([p.code, c.code]).toEqual([0, 0]);
    expect(readFileSync(output).equals(readFileSync(input))).toBe(true);
  });

  async function midStream(): Promise<[LabProcess, LabProcess]> {
    const producer = side('producer', '--bytes', '64GiB', '--slot-size', '4KiB');
    const consumer = side('consumer', '--no-verify');
    await consumer.waitFor(/== receiving/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    return [producer, consumer];
  }

  it('a consumer killed with SIGKILL: the producer says so and removes the ring', async () => {
    const [producer, consumer] = await midStream();
    consumer.kill('SIGKILL');
    const p = await producer.exited;
    expect(p.code).toBe(1);
    expect(p.stderr).toMatch(/the consumer is gone \(shm_nattch fell to 1\)/);
    expect(p.stdout).toMatch(/semctl\(\d+, IPC_RMID\) = 0/);
  });

  it('a producer killed with SIGKILL: the consumer says so and removes what it left', async () => {
    const [producer, consumer] = await midStream();
    producer.kill('SIGKILL');
    const c = await consumer.exited;
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/the producer is gone \(shm_nattch fell to 1\)/);
    expect(c.stdout).toMatch(/shmctl\(\d+, IPC_RMID\) = 0/);
  });

  it('Ctrl-C on the producer: noticed at once, it removes the ring, and the consumer is told the stream stopped', async () => {
    const [producer, consumer] = await midStream();
    const sent = Date.now();
    producer.kill('SIGINT');
    await producer.waitFor(/SIGINT: stopping/);
    // Noticed within 100 ms by design (a turn of the event loop every 20 ms while streaming, and a
    // signal ends a semtimedop at once with EINTR); the bound leaves room for a loaded machine.
    expect(Date.now() - sent).toBeLessThan(NOTICED_MS);
    const [p, c] = await Promise.all([producer.exited, consumer.exited]);
    expect(p.code).toBe(130);
    expect(p.stdout).toMatch(/SIGINT: stopping: the stream is incomplete/);
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/the producer (removed the ring|is gone)/);
  });

  it('Ctrl-C on the consumer: noticed at once, it detaches, and the producer notices and cleans up', async () => {
    const [producer, consumer] = await midStream();
    const sent = Date.now();
    consumer.kill('SIGINT');
    await consumer.waitFor(/SIGINT: stopping/);
    expect(Date.now() - sent).toBeLessThan(NOTICED_MS);
    const [p, c] = await Promise.all([producer.exited, consumer.exited]);
    expect(c.code).toBe(130);
    expect(p.code).toBe(1);
    expect(p.stderr).toMatch(/the consumer is gone/);
  });

  it('Ctrl-C on a consumer asleep in semtimedop (its producer stopped): noticed at once', async () => {
    const [producer, consumer] = await midStream();
    producer.kill('SIGSTOP'); // the ring drains, and the consumer sleeps on its semaphore
    try {
      // Asleep: blocked in semtimedop on the semaphore it waits on (semncnt 1), not spinning.
      const waitsOn = design === 'textbook' ? RING_SEM.full : BATCHED_SEM.data;
      await vi.waitFor(() => expect(lab.ns.semaphoreWaiters(lab.key, waitsOn)).toBe(1), { timeout: 5000, interval: 10 });
      const sent = Date.now();
      consumer.kill('SIGINT');
      await consumer.waitFor(/SIGINT: stopping/);
      expect(Date.now() - sent).toBeLessThan(NOTICED_MS);
    } finally {
      producer.kill('SIGCONT');
    }
    const [p, c] = await Promise.all([producer.exited, consumer.exited]);
    expect(c.code).toBe(130);
    expect(p.code).toBe(1);
    expect(p.stderr).toMatch(/the consumer is gone/);
  });
});

describe('the ring as its contract documents it', () => {
  // The batched ring with 13 slots: runs of 3, one of them cut by the ring's end; in both, the
  // last message is shorter than a slot.
  it.each([
    ['textbook', 'ring-reader', '8'],
    ['batched', 'batched-reader', '13'],
  ] as const)('a C consumer written from the contract alone reads the %s ring byte for byte', async (design, reader, slots) => {
    const input = join(lab.dir, 'in.bin');
    const data = randomBytes(2 * 1024 * 1024 + 123);
    writeFileSync(input, data);
    const producer = lab.start([
      'ring',
      'producer',
      '--design',
      design,
      '--key',
      lab.hexKey,
      '--file',
      input,
      '--slot-size',
      '4KiB',
      '--slots',
      slots,
    ]);
    const [cmd, ...args] = lab.ns.wrap([compileC(reader), lab.hexKey]);
    const read = spawnSync(cmd!, args, { maxBuffer: 16 << 20 });
    expect(read.status, read.stderr.toString()).toBe(0);
    expect(Buffer.compare(read.stdout, data)).toBe(0);
    expect(read.stderr.toString()).toContain(`${reader}: sha256 ${createHash('sha256').update(data).digest('hex')}`);
    expect((await producer.exited).code).toBe(0);
  });
});
