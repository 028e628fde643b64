/**
 * What both ring designs do around their slots: wait on a semaphore a bounded while at a time
 * (so a signal or a dead peer is noticed within 100 ms), hand the event loop a turn every 20 ms
 * (signal handlers run then), check each slot the consumer takes, hash what passes, and write the
 * end of the stream into the header.
 */
import { createHash, type Hash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Shutdown } from '../../core/signals.ts';
import { fieldOf } from '../../layout/c-layout.ts';
import { isErrno } from '../../sysv/errors.ts';
import { semopPrepared, type PreparedOps } from '../../sysv/sem.ts';
import type { SegmentView } from '../../sysv/segment-view.ts';
import { attachedCount, PeerGoneError, peerLeft, type LabObjects } from '../common/two-party.ts';
import { RING_HEADER } from './contract.ts';

const WAIT_MS = 100; // a bounded wait, so a dead peer or a signal is noticed within it
const YIELD_EVERY_MS = 20; // the event loop turns this often (signal handlers run then)

export const HEADER = {
  magic: fieldOf(RING_HEADER, 'magic'),
  slots: fieldOf(RING_HEADER, 'slots'),
  slotSize: fieldOf(RING_HEADER, 'slot_size'),
  ended: fieldOf(RING_HEADER, 'ended'),
  total: fieldOf(RING_HEADER, 'total_bytes'),
  sha: fieldOf(RING_HEADER, 'sha256'),
};

export class Stream {
  readonly hash: Hash | undefined;
  /** The semops this side made: its kernel crossings for the stream (the benchmark counts them). */
  semops = 0;
  /**
   * The consumer's clock: it starts when message `warmUp` is taken (0: the first), not while it
   * waited for the producer to begin; `timedFrom` is what it had received by then.
   */
  firstAt: bigint | undefined;
  timedFrom = 0;
  warmUp = 0;

  /** Starts the consumer's clock (see firstAt), `received` bytes in. */
  startClock(received: number): void {
    this.firstAt = process.hrtime.bigint();
    this.timedFrom = received;
  }
  #lastTurn = performance.now();

  constructor(
    readonly objects: LabObjects,
    readonly stop: Shutdown,
    /** The other side, for messages: "consumer" or "producer". */
    readonly peer: string,
    verify: boolean,
  ) {
    this.hash = verify ? createHash('sha256') : undefined;
  }

  get view(): SegmentView {
    return this.objects.attachment.view;
  }

  /** The other side removed the set, or died: say which. */
  peerGone(): never {
    throw peerLeft(this.objects.shmid) === 'removed'
      ? new PeerGoneError(`the ${this.peer} removed the ring (IPC_RMID): it stopped before the end of the stream`)
      : new PeerGoneError(`the ${this.peer} is gone (shm_nattch fell to 1): it was stopped or killed mid-stream`);
  }

  /** Whether the event loop is due a turn: every 20 ms. A hot loop asks, and awaits only then. */
  due(): boolean {
    return performance.now() - this.#lastTurn > YIELD_EVERY_MS; // performance.now is a fast call in V8, Date.now a runtime call
  }

  /** Every 20 ms, a turn of the event loop, and a stop if a signal came. */
  async tick(): Promise<void> {
    if (!this.due()) return;
    await this.stop.yield();
    this.#lastTurn = performance.now();
    this.stop.throwIfStopped();
  }

  /** V: never blocks; fails only if the other side removed the set under us. */
  release(ops: PreparedOps): void {
    this.semops++;
    try {
      semopPrepared(this.objects.semid, ops, WAIT_MS);
    } catch (error) {
      if (isErrno(error, 'gone')) this.peerGone();
      throw error;
    }
  }

  /** P: waits at most WAIT_MS at a time, and between waits looks for signals and the other side. */
  async acquire(ops: PreparedOps): Promise<void> {
    while (!(await this.nap(ops)));
  }

  /**
   * One P of at most WAIT_MS: true if it went through; false if it timed out or was interrupted,
   * after a look for signals and for the other side. The batched ring naps and then looks at the
   * other side's index again, so that a wake-up it missed costs at most WAIT_MS, never a hang.
   */
  async nap(ops: PreparedOps): Promise<boolean> {
    this.semops++;
    try {
      semopPrepared(this.objects.semid, ops, WAIT_MS);
      if (this.due()) await this.tick();
      return true;
    } catch (error) {
      if (isErrno(error, 'gone')) this.peerGone();
      if (!isErrno(error, 'EAGAIN', 'EINTR')) throw error;
    }
    // Timed out or interrupted: let signal handlers run, then look for the other side.
    await this.stop.yield();
    this.#lastTurn = performance.now();
    this.stop.throwIfStopped();
    if (attachedCount(this.objects.shmid) < 2) this.peerGone();
    return false;
  }

  /** A slot as the consumer takes it: message `expected`, at most `slotSize` bytes. Its length. */
  checkSlot(seen: number, length: number, expected: number, index: number, slotSize: number): number {
    if (seen !== expected) throw new PeerGoneError(`slot ${index} holds message ${seen}, expected ${expected}: the ring is out of order`);
    if (length > slotSize) throw new PeerGoneError(`slot ${index} claims ${length} bytes, more than the slot size ${slotSize}`);
    return length;
  }

  /** The producer's end: bytes sent and their SHA-256 into the header, then `ended`. */
  finish(sent: number): void {
    const view = this.view;
    view.setBigUint64(HEADER.total.offset, BigInt(sent));
    view.write(HEADER.sha.offset, this.hash ? this.hash.digest() : new Uint8Array(32));
    view.setUint32(HEADER.ended.offset, 1);
  }
}
