/**
 * One side of the ping-pong benchmark: two processes hand a turn back and forth through two
 * semaphores, touching one word in shared memory each time. The round trip is the cost of a
 * hand-over: two semaphore operations and two wake-ups. With `sysv`, System V semaphores (semop,
 * a system call each); with `posix`, two sem_t (pshared = 1) in a POSIX shared memory object
 * (sem_post and sem_wait, a futex call only to sleep or to wake): both contended, since every
 * operation hands the turn to a process that waits for it.
 *
 *   node --import tsx src/bench/pingpong.ts ping sysv|posix KEY ROUND_TRIPS   (creates, measures, removes)
 *   node --import tsx src/bench/pingpong.ts pong sysv|posix KEY ROUND_TRIPS
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { EmptyObjectError, open, unlink, type Mapping } from '../posix/shm.ts';
import { isErrno } from '../sysv/errors.ts';
import { createSemaphoreSet, getSemaphoreSet, prepareOps, removeSemaphoreSet, semopPrepared } from '../sysv/sem.ts';
import { attach, getSegment, IPC_CREAT, IPC_EXCL, remove, stat } from '../sysv/shm.ts';

const [role, kind, keyText, countText] = process.argv.slice(2);
const key = Number(keyText);
const roundTrips = Number(countText);
if ((role !== 'ping' && role !== 'pong') || (kind !== 'sysv' && kind !== 'posix') || !Number.isInteger(key) || !(roundTrips > 0)) {
  process.stderr.write('usage: pingpong.ts ping|pong sysv|posix KEY ROUND_TRIPS\n');
  process.exit(2);
}

/** Gives up on the other side after this long: say why, do not hang. */
const GIVE_UP_MS = 30_000;

async function sysv(): Promise<void> {
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
    return;
  }
  let ids: { shmid: number; semid: number } | undefined;
  for (const giveUp = Date.now() + GIVE_UP_MS; !ids; ) {
    try {
      ids = { shmid: getSegment(key, 0, 0), semid: getSemaphoreSet(key, 2, 0) };
    } catch (error) {
      if (Date.now() > giveUp) throw error;
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

/** The POSIX object: the word at 0, "initialized" at 8, "pong has it mapped" at 12, the two sem_t at 64 and 128. */
const WORD = 0;
const READY = 8;
const MAPPED = 12;
const PING_SEM = 64;
const PONG_SEM = 128;

async function posix(): Promise<void> {
  const name = `/ipc-lab-bench-pingpong-${(key >>> 0).toString(16)}`;
  if (role === 'ping') {
    const m = open(name, { create: { size: 4096, mode: 0o600 } });
    let named = true;
    try {
      const ping = m.semaphore(PING_SEM).init(0);
      const pong = m.semaphore(PONG_SEM).init(0);
      m.view.setUint32(READY, 1);
      for (const giveUp = Date.now() + GIVE_UP_MS; m.view.getUint32(MAPPED) !== 1; await sleep(1))
        if (Date.now() > giveUp) throw new Error(`pong never mapped ${name}`);
      // Both have it mapped: the name is no longer needed, and a crash cannot leave it behind.
      unlink(name);
      named = false;
      const started = process.hrtime.bigint();
      for (let i = 0; i < roundTrips; i++) {
        m.view.setUint32(WORD, i);
        ping.post();
        pong.wait();
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      process.stdout.write(`${JSON.stringify({ roundTrips, seconds })}\n`);
      ping.destroy();
      pong.destroy();
    } finally {
      if (named) unlink(name);
      m.unmap();
    }
    return;
  }
  let m: Mapping | undefined;
  for (const giveUp = Date.now() + GIVE_UP_MS; !m; ) {
    try {
      const opened = open(name);
      if (opened.view.getUint32(READY) === 1) m = opened;
      else opened.unmap();
    } catch (error) {
      if (!isErrno(error, 'ENOENT') && !(error instanceof EmptyObjectError)) throw error;
    }
    if (!m) {
      if (Date.now() > giveUp) throw new Error(`ping never made ${name}`);
      await sleep(1);
    }
  }
  const ping = m.semaphore(PING_SEM);
  const pong = m.semaphore(PONG_SEM);
  m.view.setUint32(MAPPED, 1);
  for (let i = 0; i < roundTrips; i++) {
    ping.wait();
    m.view.setUint32(WORD + 4, m.view.getUint32(WORD));
    pong.post();
  }
  m.unmap();
}

await (kind === 'sysv' ? sysv() : posix());
