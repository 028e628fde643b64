/**
 * One side of the ping-pong benchmark: two processes hand a turn back and forth through two
 * System V semaphores, touching one word in shared memory each time. The round trip is the
 * cost of a hand-over: two semops and two wake-ups.
 *
 *   node --import tsx src/bench/pingpong.ts ping KEY ROUND_TRIPS   (creates, measures, removes)
 *   node --import tsx src/bench/pingpong.ts pong KEY ROUND_TRIPS
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createSemaphoreSet, getSemaphoreSet, prepareOps, removeSemaphoreSet, semopPrepared } from '../sysv/sem.ts';
import { attach, getSegment, IPC_CREAT, IPC_EXCL, remove, stat } from '../sysv/shm.ts';

const [role, keyText, countText] = process.argv.slice(2);
const key = Number(keyText);
const roundTrips = Number(countText);
if ((role !== 'ping' && role !== 'pong') || !Number.isInteger(key) || !(roundTrips > 0)) {
  process.stderr.write('usage: pingpong.ts ping|pong KEY ROUND_TRIPS\n');
  process.exit(2);
}

const give = [prepareOps([{ num: 0, op: +1 }]), prepareOps([{ num: 1, op: +1 }])] as const;
const take = [prepareOps([{ num: 0, op: -1 }]), prepareOps([{ num: 1, op: -1 }])] as const;

if (role === 'ping') {
  const shmid = getSegment(key, 4096, IPC_CREAT | IPC_EXCL | 0o600);
  let semid: number | undefined;
  let a: ReturnType<typeof attach> | undefined;
  try {
    semid = (await createSemaphoreSet(key, [0, 0])).semid;
    a = attach(shmid);
    while (stat(shmid).nattch < 2) await sleep(1);
    const started = process.hrtime.bigint();
    for (let i = 0; i < roundTrips; i++) {
      a.view.setUint32(0, i);
      semopPrepared(semid, give[0]);
      semopPrepared(semid, take[1]);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    process.stdout.write(`${JSON.stringify({ roundTrips, seconds })}\n`);
  } finally {
    a?.detach();
    remove(shmid);
    if (semid !== undefined) removeSemaphoreSet(semid);
  }
} else {
  let ids: { shmid: number; semid: number } | undefined;
  for (const giveUp = Date.now() + 30_000; !ids; ) {
    try {
      ids = { shmid: getSegment(key, 0, 0), semid: getSemaphoreSet(key, 2, 0) };
    } catch (error) {
      if (Date.now() > giveUp) throw error; // ping never made them: say why, do not hang
      await sleep(1);
    }
  }
  const a = attach(ids.shmid);
  for (let i = 0; i < roundTrips; i++) {
    semopPrepared(ids.semid, take[0]);
    a.view.setUint32(4, a.view.getUint32(0));
    semopPrepared(ids.semid, give[1]);
  }
  a.detach();
}
