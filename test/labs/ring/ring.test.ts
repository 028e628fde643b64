/** The ring buffer lab as two real processes: data intact, and every way of dying cleaned up. */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LabProcess } from '../../support/cli.ts';
import { labFixture } from '../../support/lab-fixture.ts';

const lab = labFixture();

function side(role: 'producer' | 'consumer', ...args: string[]): LabProcess {
  const p = lab.start(['ring', role, '--key', lab.hexKey, ...args]);
  return p;
}

describe('the ring buffer lab', () => {
  it.each(['64KiB', '4KiB'])('streams generated data through %s slots and the SHA-256 matches', async (slotSize) => {
    const producer = side('producer', '--bytes', '24MiB', '--slot-size', slotSize);
    const consumer = side('consumer');
    const [p, c] = await Promise.all([producer.exited, consumer.exited]);
    expect(c.code, c.stderr).toBe(0);
    expect(p.code, p.stderr).toBe(0);
    expect(c.stdout).toMatch(/consumer: 25165824 bytes in \d+ messages, [\d.]+ MB\/s/);
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

  it('Ctrl-C on the producer: it removes the ring, and the consumer is told the stream stopped', async () => {
    const [producer, consumer] = await midStream();
    producer.kill('SIGINT');
    const [p, c] = await Promise.all([producer.exited, consumer.exited]);
    expect(p.code).toBe(130);
    expect(p.stdout).toMatch(/SIGINT: stopping: the stream is incomplete/);
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/the producer (removed the ring|is gone)/);
  });

  it('Ctrl-C on the consumer: it detaches, and the producer notices and cleans up', async () => {
    const [producer, consumer] = await midStream();
    consumer.kill('SIGINT');
    const [p, c] = await Promise.all([producer.exited, consumer.exited]);
    expect(c.code).toBe(130);
    expect(p.code).toBe(1);
    expect(p.stderr).toMatch(/the consumer is gone/);
  });
});
