/**
 * Exercise 5, finish the ring: the consumer lacks its P(full), its V(empty) and the end of the
 * stream. The producer is the lab's own (`ipc-lab ring producer`, the textbook design), started
 * by the check with exercise 5's key.
 *
 * The check sends a file of random bytes (3 MiB and a bit, so the last slot is partly filled)
 * at 4 KiB and at 64 KiB slots and wants the consumer's SHA-256 to be the file's; then it starts
 * an endless stream, SIGKILLs the producer in the middle, and wants the consumer to end within
 * 5 s, saying so, with a non-zero exit code: not hang, not crash.
 */
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '../../src/core/wait.ts';
import { ftok } from '../../src/sysv/shm.ts';
import { type Criterion, type Exercise, fail, pass, ROOT } from '../../src/exercises/model.ts';
import { hexKey, removeLeftovers, segmentWithKey } from '../../src/exercises/objects.ts';
import { howItEnded, lastLines, type ProbeContext, type Ran } from '../../src/exercises/probe.ts';

const PROJECT_ID = 0x35;
const key = (): number => ftok(process.env.IPC_LAB_KEY_FILE ?? '/var/lib/ipc-lab/ftok.key', PROJECT_ID);
const SLOT_SIZES = [
  ['4 KiB', '4KiB'],
  ['64 KiB', '64KiB'],
] as const;

const producerArgs = (args: readonly string[]): readonly string[] => [
  join(ROOT, 'bin', 'ipc-lab.js'),
  'ring',
  'producer',
  `--key=${hexKey(key())}`,
  '--timeout=30',
  ...args,
];

/** Why a consumer's run went wrong, in the exercise's words. */
function why(ran: Ran): string {
  const text = ran.stdout + ran.stderr;
  if (/holds message \d+, expected \d+/.test(text))
    return 'it read a slot the producer had not filled yet: take a filled slot with P(full) before reading one';
  if (ran.timedOut)
    return 'it never ended: give each slot back with V(empty) (or the producer waits for a free slot forever), and stop at the empty message that ends the stream';
  return 'see what it printed';
}

async function stream(context: ProbeContext, file: string, size: number, sha: string, label: string, slotSize: string): Promise<Criterion> {
  const name = `SHA-256 equal at ${label} slots`;
  removeLeftovers(key());
  const producer = context.start({ name: 'ipc-lab ring producer', command: process.execPath, args: [] }, [
    ...producerArgs([`--file=${file}`, `--slot-size=${slotSize}`]),
  ]);
  try {
    const consumer = await context.run(context.program('consumer'), [], { timeoutMs: 60_000 });
    // The consumer's own line (the starter's): "consumer: N bytes; sha256 X; ...".
    const line = /consumer: (\d+) bytes; sha256 ([0-9a-f]{64})/.exec(consumer.stdout);
    const [received, printed] = [Number(line?.[1]), line?.[2]];
    if (consumer.code === 0 && printed === sha && received === size)
      return pass(name, `your consumer received all ${size} bytes; its SHA-256 is the file's: ${sha.slice(0, 16)}...`);
    if (consumer.code === 0 && line) {
      return fail(
        name,
        `your consumer received ${received} bytes with SHA-256 ${printed}; the file has ${size} with ${sha}: bytes were lost, repeated or mixed up`,
      );
    }
    return fail(name, `your consumer ${howItEnded(consumer, 60_000)}: ${why(consumer)}; ${lastLines(consumer)}`);
  } finally {
    await producer.stop(2000);
    removeLeftovers(key());
  }
}

async function killed(context: ProbeContext): Promise<Criterion> {
  const name = 'a clear end when the producer is killed';
  removeLeftovers(key());
  const producer = context.start({ name: 'ipc-lab ring producer', command: process.execPath, args: [] }, [
    ...producerArgs(['--bytes=64GiB', '--slot-size=4KiB']),
  ]);
  const consumer = context.start(context.program('consumer'));
  try {
    // Streaming has begun once both are attached; give it half a second of data.
    const both = await waitFor(() => ((segmentWithKey(key())?.stat.nattch ?? 0) >= 2 ? true : consumer.exited ? false : undefined), {
      deadline: Date.now() + 30_000,
      every: 20,
    });
    if ('timedOut' in both || !both.value) {
      const ran = consumer.exited ? await consumer.done : await consumer.stop();
      return fail(
        name,
        `not tried: the consumer and the producer never streamed together; your consumer ${howItEnded(ran)}; ${lastLines(ran)}`,
      );
    }
    await sleep(500);
    if (consumer.exited) {
      const ran = await consumer.done;
      return fail(name, `your consumer ended before the producer was killed: it ${howItEnded(ran)}; ${why(ran)}; ${lastLines(ran)}`);
    }
    producer.signal('SIGKILL');
    const killedAt = Date.now();
    await producer.done;
    const ran = await consumer.within(5000);
    const seconds = ((Date.now() - killedAt) / 1000).toFixed(1);
    if (ran.timedOut)
      return fail(
        name,
        'the producer was SIGKILLed mid-stream and your consumer was still waiting 5 s later: its P(full) waits for a V nobody will do. ' +
          'Wait a bounded time (semtimedop) and look whether the producer is still attached (shm_nattch)',
      );
    const stack = /^\s+at /m.test(ran.stderr);
    if (ran.code === 0)
      return fail(
        name,
        `the stream was cut short, yet your consumer exited 0 after ${seconds} s: an incomplete stream is a failure; ${lastLines(ran)}`,
      );
    if (stack)
      return fail(
        name,
        `your consumer ended in ${seconds} s, but with a stack trace, not a sentence saying the producer went away; ${lastLines(ran)}`,
      );
    return pass(
      name,
      `the producer was SIGKILLed mid-stream; your consumer ended ${seconds} s later with exit code ${ran.code}: ${lastLines(ran, 1).replace(/^it printed:\s*/, '')}`,
    );
  } finally {
    await Promise.all([producer.stop(1000), consumer.stop(1000)]);
    removeLeftovers(key());
  }
}

async function ring(context: ProbeContext): Promise<Criterion[]> {
  context.program('consumer'); // a missing file is a failed criterion before anything starts
  const file = join(context.tmp, 'data.bin');
  const data = randomBytes((3 << 20) + 1234);
  writeFileSync(file, data);
  const sha = createHash('sha256').update(data).digest('hex');
  const criteria: Criterion[] = [];
  for (const [label, slotSize] of SLOT_SIZES) criteria.push(await stream(context, file, data.length, sha, label, slotSize));
  if (criteria.every((c) => c.ok)) criteria.push(await killed(context));
  else criteria.push(fail('a clear end when the producer is killed', 'not tried: first the whole stream must get through'));
  return criteria;
}

export const exercise: Exercise = {
  number: 5,
  slug: 'finish-the-ring',
  title: 'Finish the ring',
  handout: '07-ring-and-performance.md',
  tracks: { ts: ['consumer.ts'] },
  check: (bench, request) => bench.probe(exercise, 'ring', request),
  probes: { ring },
};
