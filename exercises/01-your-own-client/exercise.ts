/**
 * Exercise 1, your own client: attach the server's segment read-only and print the fraction and
 * its value from the contract's offsets.
 *
 * The check runs the client twice. First against the lab's server: it must print 22/7 = 3.14286.
 * Then against a segment the check makes itself, under a key file of its own, holding 355/113
 * and mode 0400 (its owner may read, nobody may write): a client that attaches read-write is
 * refused there (EACCES), and one that printed 22/7 without reading it prints the wrong numbers.
 */
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { DEFAULT_PROJECT_ID, MIN_SEGMENT_SIZE, THE_MESSAGE } from '../../src/labs/message/contract.ts';
import { writeSegment } from '../../src/labs/message/codec.ts';
import { attach, ftok, getSegment, IPC_CREAT, IPC_EXCL, remove, setMode } from '../../src/sysv/shm.ts';
import { formatG } from '../../src/text/numbers.ts';
import { type Criterion, type Exercise, fail, pass } from '../../src/exercises/model.ts';
import { howItEnded, lastLines, type ProbeContext } from '../../src/exercises/probe.ts';

const line = (n: number, d: number): string => `${n}/${d} = ${formatG(n / d)}`;

async function client(context: ProbeContext): Promise<Criterion[]> {
  const program = context.program('client');
  const criteria: Criterion[] = [];

  const want = line(THE_MESSAGE.numerator, THE_MESSAGE.denominator);
  const lab = await context.run(program);
  const printed = lab.stdout.split('\n').some((l) => l.trim() === want);
  if (lab.code === 0 && printed) criteria.push(pass(`prints ${want} from the server's segment`, `it printed ${want} and exited 0`));
  else if (lab.code !== 0)
    criteria.push(fail(`prints ${want} from the server's segment`, `your client ${howItEnded(lab)}; ${lastLines(lab)}`));
  else criteria.push(fail(`prints ${want} from the server's segment`, `wanted a line "${want}"; ${lastLines(lab)}`));

  // A segment of the check's own, 0400 and holding 355/113, under a key file of its own.
  const keyFile = join(context.tmp, 'own.key');
  writeFileSync(keyFile, "the check's own key file: another inode, so another key\n");
  const shmid = getSegment(ftok(keyFile, DEFAULT_PROJECT_ID), MIN_SEGMENT_SIZE, IPC_CREAT | IPC_EXCL | 0o600);
  try {
    const writer = attach(shmid);
    await writeSegment(writer.view, { ...THE_MESSAGE, numerator: 355, denominator: 113, value: 355 / 113 });
    writer.detach();
    // Read-only from now on, for everyone: what an attach that asks to write is refused.
    setMode(shmid, 0o400);
    const other = await context.run(program, [], { env: { IPC_LAB_KEY_FILE: keyFile } });
    const wantOther = line(355, 113);
    const refused = /EACCES|Permission denied/.test(other.stdout + other.stderr);
    if (other.code === 0 && other.stdout.split('\n').some((l) => l.trim() === wantOther)) {
      criteria.push(pass('attaches read-only (SHM_RDONLY)', 'it read a segment of mode 0400, which nobody may attach to write'));
      criteria.push(pass("reads the numbers at the contract's offsets", `from a segment holding 355/113 it printed ${wantOther}`));
    } else if (refused) {
      criteria.push(
        fail(
          'attaches read-only (SHM_RDONLY)',
          `on a segment of mode 0400 (read, never write) your client was refused (EACCES): it asks to write. ${lastLines(other)}\n` +
            'A client has no business writing: attach with SHM_RDONLY.',
        ),
      );
    } else {
      criteria.push(
        fail(
          'attaches read-only (SHM_RDONLY)',
          'not shown yet: on a segment of mode 0400 it was not refused, but it printed nothing it read from it',
        ),
      );
      criteria.push(
        fail(
          "reads the numbers at the contract's offsets",
          `from a segment holding 355/113 it should print "${wantOther}": ${lastLines(other)}\n` +
            'read numerator, denominator and value from the segment at the offsets the contract gives; print nothing you did not read',
        ),
      );
    }
  } finally {
    remove(shmid);
  }
  return criteria;
}

export const exercise: Exercise = {
  number: 1,
  slug: 'your-own-client',
  title: 'Your own client',
  handout: '01-first-segment.md',
  tracks: { ts: ['client.ts'], c: ['client.c'] },
  check: (bench, request) => bench.probe(exercise, 'client', request),
  probes: { client },
};
