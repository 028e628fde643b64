import { afterEach, describe, expect, it } from 'vitest';
import { SysvError } from '../../src/sysv/errors.ts';
import { createSemaphoreSet, getValue, IPC_PRIVATE, prepareOps, removeSemaphoreSet, semopPrepared } from '../../src/sysv/sem.ts';

const made: number[] = [];
afterEach(() => {
  for (const semid of made.splice(0)) removeSemaphoreSet(semid);
});

describe('prepared semaphore operations', () => {
  it('do what the same operations do, encoded once and reused', async () => {
    const { semid } = await createSemaphoreSet(IPC_PRIVATE, [2, 0]);
    made.push(semid);
    const move = prepareOps([
      { num: 0, op: -1 },
      { num: 1, op: +1 },
    ]);
    semopPrepared(semid, move);
    semopPrepared(semid, move, 50);
    expect([getValue(semid, 0), getValue(semid, 1)]).toEqual([0, 2]);
  });

  it('time out with EAGAIN, named in the one error type', async () => {
    const { semid } = await createSemaphoreSet(IPC_PRIVATE, [0]);
    made.push(semid);
    const take = prepareOps([{ num: 0, op: -1 }]);
    const error = (() => {
      try {
        semopPrepared(semid, take, 30);
      } catch (e) {
        return e;
      }
      throw new Error('semtimedop did not time out');
    })();
    expect(error).toBeInstanceOf(SysvError);
    expect(error).toMatchObject({ call: 'semtimedop', code: 'EAGAIN' });
    expect((error as SysvError).message).toContain('sops=[{num 0, op -1}]');
    expect((error as SysvError).message).toContain('timeout=30 ms');
  });
});
