/**
 * Exercise 1: your own client (TypeScript), the reference solution.
 *
 * Find the server's segment, attach it read-only, print the fraction and its value from the
 * bytes at the contract's offsets, detach.
 */
import { fieldOf } from '#lab/layout/c-layout.ts';
import { DEFAULT_PROJECT_ID, PI_MESSAGE } from '#lab/labs/message/contract.ts';
import { attach, ftok, getSegment } from '#lab/sysv/shm.ts';
import { formatG } from '#lab/text/numbers.ts';

const keyFile = process.env.IPC_LAB_KEY_FILE ?? '/var/lib/ipc-lab/ftok.key';
const key = ftok(keyFile, DEFAULT_PROJECT_ID);
const shmid = getSegment(key, 0, 0);

const offsets = {
  numerator: fieldOf(PI_MESSAGE, 'numerator').offset,
  denominator: fieldOf(PI_MESSAGE, 'denominator').offset,
  value: fieldOf(PI_MESSAGE, 'value').offset,
};
console.log(`segment ${shmid}: numerator at ${offsets.numerator}, denominator at ${offsets.denominator}, value at ${offsets.value}`);

// Read-only: the kernel maps the pages without write permission, so a stray write here would
// crash this process instead of corrupting what every other reader sees.
const segment = attach(shmid, { readOnly: true });
try {
  const numerator = segment.view.getInt32(offsets.numerator);
  const denominator = segment.view.getInt32(offsets.denominator);
  const value = segment.view.getFloat64(offsets.value);
  console.log(`${numerator}/${denominator} = ${formatG(value)}`);
} finally {
  // Detach, never remove: whoever created the segment removes it.
  segment.detach();
}
