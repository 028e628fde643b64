/**
 * Exercise 1: your own client (TypeScript). Task: exercises/01-your-own-client/README.md
 *
 * Find the server's segment, attach it so that this process can only read it, and print the
 * fraction and its value from the bytes, at the offsets the contract gives:
 *
 *   22/7 = 3.14286
 *
 * Run it:   make check N=1          (in the workbench, in the lab's IPC namespace)
 */
import { fieldOf } from '#lab/layout/c-layout.ts';
import { DEFAULT_PROJECT_ID, PI_MESSAGE } from '#lab/labs/message/contract.ts';
import { ftok, getSegment } from '#lab/sysv/shm.ts';
import { formatG } from '#lab/text/numbers.ts';

// The same key as the server's: the same file (on the lab's shared volume), the same project id.
const keyFile = process.env.IPC_LAB_KEY_FILE ?? '/var/lib/ipc-lab/ftok.key';
const key = ftok(keyFile, DEFAULT_PROJECT_ID);
// Size 0 and no IPC_CREAT: find the segment the server made, never make one.
const shmid = getSegment(key, 0, 0);

// Where the three numbers are: the contract's offsets, from the start of the segment.
const offsets = {
  numerator: fieldOf(PI_MESSAGE, 'numerator').offset,
  denominator: fieldOf(PI_MESSAGE, 'denominator').offset,
  value: fieldOf(PI_MESSAGE, 'value').offset,
};
console.log(`segment ${shmid}: numerator at ${offsets.numerator}, denominator at ${offsets.denominator}, value at ${offsets.value}`);

// ---- your code from here ----------------------------------------------------------------
// TODO 1: attach the segment (attach() in #lab/sysv/shm.ts) so that it can only be read.
// TODO 2: read the numerator, the denominator (int32) and the value (a double) from its view.
// TODO 3: print them as "22/7 = 3.14286": formatG(value) gives six significant digits.
// TODO 4: detach: the segment stays for other clients; only the server removes it.
const numerator = '?';
const denominator = '?';
const value = '?';
console.log(`${numerator}/${denominator} = ${value}`);
void formatG;
