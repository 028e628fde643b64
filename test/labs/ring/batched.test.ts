/**
 * The batched ring's two loops in one process, on a real segment and semaphore set, started with
 * head and tail just short of 2^32: the message count wraps in the segment, and the slots must
 * not (message m goes in slot m mod N, which is not (m mod 2^32) mod N unless N divides 2^32).
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { watchShutdown, type Shutdown } from '../../../src/core/signals.ts';
import { fieldOf } from '../../../src/layout/c-layout.ts';
import { consumeBatched, produceBatched } from '../../../src/labs/ring/batched.ts';
import type { LabObjects } from '../../../src/labs/common/two-party.ts';
import { batchedSegmentSize, RING_CONSUMER, RING_PRODUCER } from '../../../src/labs/ring/contract.ts';
import { generated, sourceBlock } from '../../../src/labs/ring/source.ts';
import { Stream } from '../../../src/labs/ring/stream.ts';
import { getSemaphoreSet, IPC_CREAT as SEM_CREAT, IPC_PRIVATE as SEM_PRIVATE, removeSemaphoreSet } from '../../../src/sysv/sem.ts';
import { attach, getSegment, IPC_CREAT, IPC_PRIVATE, remove, type Attachment } from '../../../src/sysv/shm.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** A segment and a set of two semaphores, attached twice (one attachment a side), removed after the test. */
function ring(slots: number, slotSize: number): { producer: LabObjects; consumer: LabObjects } {
  const shmid = getSegment(IPC_PRIVATE, batchedSegmentSize(slots, slotSize), IPC_CREAT | 0o600);
  cleanups.push(() => remove(shmid));
  const semid = getSemaphoreSet(SEM_PRIVATE, 2, SEM_CREAT | 0o600);
  cleanups.push(() => removeSemaphoreSet(semid));
  const side = (): LabObjects => {
    const attachment: Attachment = attach(shmid);
    cleanups.push(() => attachment.detach());
    return { key: IPC_PRIVATE, shmid, semid, attachment };
  };
  return { producer: side(), consumer: side() };
}

describe('the batched ring across the 2^32 wrap of head and tail', () => {
  let stop: Shutdown;
  afterEach(() => stop.dispose());

  it.each([13, 16, 3])('%i slots: every byte arrives, in order, and both sides count the messages', async (slots) => {
    stop = watchShutdown();
    const slotSize = 64;
    const total = 100 * slotSize + 5; // 100 whole messages and a short one
    const { producer, consumer } = ring(slots, slotSize);
    const start = 2 ** 32 - 40; // the count a long stream would have reached
    producer.attachment.view.setUint32(fieldOf(RING_PRODUCER, 'head').offset, start);
    producer.attachment.view.setUint32(fieldOf(RING_CONSUMER, 'tail').offset, start);

    const received: Buffer[] = [];
    const [sent, got] = await Promise.all([
      produceBatched(producer, generated(total, slotSize), slots, slotSize, new Stream(producer, stop, 'consumer', true)),
      consumeBatched(consumer, slots, slotSize, new Stream(consumer, stop, 'producer', true), (data) => received.push(Buffer.from(data))),
    ]);

    const block = sourceBlock(slotSize);
    const expected = Buffer.concat(Array.from({ length: Math.ceil(total / block.length) }, () => block)).subarray(0, total);
    const bytes = Buffer.concat(received);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(createHash('sha256').update(expected).digest('hex'));
    expect([sent, got]).toEqual([
      { sent: total, messages: 101 },
      { received: total, messages: 101 },
    ]);
    // head and tail wrapped: 2^32 - 40 + 101 messages and the end, mod 2^32
    expect(producer.attachment.view.getUint32(fieldOf(RING_CONSUMER, 'tail').offset)).toBe(62);
  });
});
