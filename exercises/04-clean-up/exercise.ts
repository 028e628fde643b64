/**
 * Exercise 4, clean up after yourself: a server that leaks its segment when it is stopped.
 *
 * The check runs the student's server in a workbench container of its own, in the lab's IPC
 * namespace, the way the lab's services run (docker-init as PID 1 forwarding signals), and
 * stops it with `docker stop`: SIGTERM, then SIGKILL after 5 s. Then it wants
 *   - the server gone within those 5 s, with exit code 0 (it handled SIGTERM);
 *   - nothing with exercise 4's key left in the namespace;
 *   - a second run that starts cleanly (a leaked segment makes its IPC_EXCL fail) and cleans up too.
 */
import { ftok } from '../../src/sysv/shm.ts';
import { type Bench, CONTAINER_PREFIX } from '../../src/exercises/bench.ts';
import type { ProbeContext } from '../../src/exercises/probe.ts';
import { type CheckRequest, type Criterion, type Exercise, fail, pass } from '../../src/exercises/model.ts';
import { hexKey, readyServerSegment, removeLeftovers, segmentWithKey } from '../../src/exercises/objects.ts';

const PROJECT_ID = 0x34;
const GRACE_SECONDS = 5;
const key = (): number => ftok(process.env.IPC_LAB_KEY_FILE ?? '/var/lib/ipc-lab/ftok.key', PROJECT_ID);

/** In the workbench: remove what holds the key (the check owns it). */
async function clear(): Promise<Criterion[]> {
  removeLeftovers(key());
  return [pass('cleared', `nothing holds ${hexKey(key())}`)];
}

/** In the workbench: the server's segment exists and its message is ready (up to 20 s). */
async function ready(context: ProbeContext): Promise<Criterion[]> {
  const found = await readyServerSegment(key(), Number(context.args[0] ?? 20));
  if (!found)
    return [
      fail('ready', `no segment with key ${hexKey(key())} attached by a server and holding a ready message in ${context.args[0] ?? 20} s`),
    ];
  return [pass('ready', `segment ${found.shmid}, key ${hexKey(key())}, nattch ${found.stat.nattch}`)];
}

/** In the workbench: nothing with the key is left. */
async function gone(): Promise<Criterion[]> {
  const segment = segmentWithKey(key());
  if (!segment) return [pass('nothing left in the namespace', `no segment with key ${hexKey(key())} (ipcs -m shows none)`)];
  return [
    fail(
      'nothing left in the namespace',
      `segment ${segment.shmid} with key ${hexKey(key())} is still there after the server stopped (nattch ${segment.stat.nattch}, ` +
        `${segment.stat.size} bytes): it was never removed. A process that exits is detached by the kernel, but a segment stays ` +
        'until someone calls shmctl(IPC_RMID): the server must, before it exits',
    ),
  ];
}

/** One run of the student's server: started, found ready, stopped with docker stop; what was seen. */
async function oneRun(
  bench: Bench,
  request: CheckRequest,
  run: string,
): Promise<{ started: Criterion; stopped?: Criterion; left?: Criterion }> {
  const container = `${CONTAINER_PREFIX}4-${process.pid}-${run}`;
  try {
    const start = await bench.startProgram(exercise, request, 'server', container);
    const startName = run === 'first' ? 'the server starts and makes its segment' : 'a second run starts cleanly';
    if (start.code !== 0) return { started: fail(startName, `docker compose run failed: ${(start.stdout + start.stderr).trim()}`) };
    const isReady = await bench.untilReady(exercise, request, container);
    if (!isReady.ok) {
      const hint = /EEXIST|File exists/.test(isReady.detail)
        ? '\nThe key is still taken by the segment an earlier run left (EEXIST): see above'
        : '';
      return { started: fail(startName, `${isReady.detail}${hint}`) };
    }
    const started = pass(startName, isReady.detail);
    const stop = await bench.stopContainer(container, GRACE_SECONDS);
    const seconds = stop.seconds.toFixed(1);
    let stopped: Criterion;
    if (stop.exitCode === 0) stopped = pass('it ends on SIGTERM, exit code 0', `docker stop took ${seconds} s; exit code 0`);
    else if (stop.exitCode === 137)
      stopped = fail(
        'it ends on SIGTERM, exit code 0',
        `docker stop waited ${GRACE_SECONDS} s and then killed it (exit code 137, SIGKILL): it did not end on SIGTERM. A handler that never lets the program finish keeps it alive`,
      );
    else if (stop.exitCode === 143)
      stopped = fail(
        'it ends on SIGTERM, exit code 0',
        'SIGTERM killed it (exit code 143): with no handler, the default action ends the process at once, before it can clean anything up',
      );
    else
      stopped = fail(
        'it ends on SIGTERM, exit code 0',
        `it exited with code ${stop.exitCode} after docker stop; it printed:\n  ${stop.logs.trim().split('\n').slice(-6).join('\n  ')}`,
      );
    const [left] = await bench.probe(exercise, 'gone', request);
    return { started, stopped, ...(left ? { left } : {}) };
  } finally {
    await bench.removeContainer(container);
  }
}

async function check(bench: Bench, request: CheckRequest): Promise<Criterion[]> {
  await bench.probe(exercise, 'clear', request);
  try {
    const first = await oneRun(bench, request, 'first');
    const criteria = [first.started, first.stopped, first.left].filter((c): c is Criterion => c !== undefined);
    if (!first.stopped) return criteria;
    // The second run, on whatever the first left: what a student's next `make up` meets.
    const second = await oneRun(bench, request, 'second');
    criteria.push(second.started);
    if (second.left && first.left?.ok) criteria.push({ ...second.left, name: 'and leaves nothing either' });
    return criteria;
  } finally {
    await bench.probe(exercise, 'clear', request);
  }
}

export const exercise: Exercise = {
  number: 4,
  slug: 'clean-up',
  title: 'Clean up after yourself',
  handout: '04-lifecycle-and-cleanup.md',
  tracks: { ts: ['server.ts'], c: ['server.c'] },
  check,
  probes: { clear, ready, gone },
};
