/**
 * Exercise 6, permissions: a segment the group may read but not write, and others not touch.
 *
 * The check runs the student's server in a workbench container of its own (uid 10001, gid 10001
 * `lab`), then probes its segment from three more workbench containers, each as another user,
 * with `docker compose run --user` (no capability, no setuid: Docker starts the process as that
 * user):
 *   - uid 10002 in group 10001, attaching read-only: allowed;
 *   - the same user running the lab's `ipc-lab poke`, which attaches to write: refused (EACCES);
 *   - uid 10003 in group 10003, outside the group, attaching read-only: refused (EACCES).
 * Then it stops the server (docker stop) and wants nothing left with exercise 6's key.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fieldOf } from '../../src/layout/c-layout.ts';
import { PI_MESSAGE } from '../../src/labs/message/contract.ts';
import { isErrno } from '../../src/sysv/errors.ts';
import { attach, ftok, getSegment, stat } from '../../src/sysv/shm.ts';
import { type Bench, CONTAINER_PREFIX } from '../../src/exercises/bench.ts';
import type { ProbeContext } from '../../src/exercises/probe.ts';
import { type CheckRequest, type Criterion, type Exercise, fail, pass, ROOT } from '../../src/exercises/model.ts';
import { hexKey, idOf, readyServerSegment, removeLeftovers, segmentWithKey } from '../../src/exercises/objects.ts';

const PROJECT_ID = 0x36;
const MEMBER = '10002:10001'; // another user in the server's group, lab (10001)
const OUTSIDER = '10003:10003'; // a user in no group of the segment's
const key = (): number => ftok(process.env.IPC_LAB_KEY_FILE ?? '/var/lib/ipc-lab/ftok.key', PROJECT_ID);
const octal = (mode: number): string => `0${mode.toString(8).padStart(3, '0')}`;

async function clear(): Promise<Criterion[]> {
  removeLeftovers(key());
  return [pass('cleared', `nothing holds ${hexKey(key())}`)];
}

async function ready(context: ProbeContext): Promise<Criterion[]> {
  const found = await readyServerSegment(key(), Number(context.args[0] ?? 20));
  if (!found)
    return [
      fail(
        'the server starts and makes its segment',
        `no segment with key ${hexKey(key())} attached by a server and holding a ready message in ${context.args[0] ?? 20} s`,
      ),
    ];
  const { shmid, stat } = found;
  return [
    pass('the server starts and makes its segment', `segment ${shmid}, mode ${octal(stat.mode)}, owner uid ${stat.uid} gid ${stat.gid}`),
  ];
}

/** As the user this container runs as: a read-only attach. */
async function read(): Promise<Criterion[]> {
  const who = `uid ${process.getuid?.()} gid ${process.getgid?.()}`;
  const member = process.getgid?.() === 10001;
  const name = member ? 'a member of the group may read it' : 'someone outside the group may not read it';
  // shmget(key, 0, 0) asks for no permission, so it finds the segment for anyone; IPC_STAT
  // would need r, so the mode is named only where this user may read it.
  const shmid = idOf(() => getSegment(key(), 0, 0));
  if (shmid === undefined) return [fail(name, `no segment with key ${hexKey(key())}`)];
  let mode = 'its mode';
  try {
    attach(shmid, { readOnly: true }).detach();
    mode = `mode ${octal(stat(shmid).mode)}`;
  } catch (error) {
    if (!isErrno(error, 'EACCES')) throw error;
    if (member) return [fail(name, `${who} (in group lab) was refused a read-only attach (EACCES): the mode gives the group no r`)];
    return [pass(name, `${who} was refused a read-only attach (EACCES): the mode gives others nothing`)];
  }
  if (member) return [pass(name, `${who} (in group lab) attached it read-only (${mode})`)];
  return [fail(name, `${who}, in no group of the segment's, attached it read-only: ${mode} lets others read; give others nothing`)];
}

/** As a group member: the lab's `ipc-lab poke`, which attaches to write and changes the numerator. */
async function poke(): Promise<Criterion[]> {
  const name = 'a member of the group may not write it (ipc-lab poke refused)';
  const offset = fieldOf(PI_MESSAGE, 'numerator').offset;
  const ran = spawnSync(
    process.execPath,
    [join(ROOT, 'bin', 'ipc-lab.js'), 'poke', `--key=${hexKey(key())}`, `--offset=${offset}`, '--int32=23'],
    {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    },
  );
  const said = `${ran.stdout}${ran.stderr}`.trim().split('\n').slice(-2).join(' ');
  if (ran.status === 0)
    return [
      fail(
        name,
        `uid ${process.getuid?.()} in group lab ran ipc-lab poke --offset=${offset} --int32=23 and it wrote: the mode gives the group w; give it r only`,
      ),
    ];
  if (/EACCES|ermission denied/.test(said)) return [pass(name, `ipc-lab poke was refused: ${said}`)];
  return [fail(name, `ipc-lab poke failed, but not with EACCES: ${said}`)];
}

async function gone(): Promise<Criterion[]> {
  const segment = segmentWithKey(key());
  if (!segment) return [pass('nothing left after docker stop', `no segment with key ${hexKey(key())}`)];
  return [fail('nothing left after docker stop', `segment ${segment.shmid} is still there: remove it on SIGTERM, as in exercise 4`)];
}

async function check(bench: Bench, request: CheckRequest): Promise<Criterion[]> {
  await bench.probe(exercise, 'clear', request);
  const container = `${CONTAINER_PREFIX}6-${process.pid}-server`;
  try {
    const start = await bench.startProgram(exercise, request, 'server', container);
    if (start.code !== 0)
      return [fail('the server starts and makes its segment', `docker compose run failed: ${(start.stdout + start.stderr).trim()}`)];
    const started = [await bench.untilReady(exercise, request, container)];
    if (!started[0]!.ok) return started;
    const criteria = [...started];
    criteria.push(...(await bench.probe(exercise, 'read', request, { user: MEMBER })));
    criteria.push(...(await bench.probe(exercise, 'poke', request, { user: MEMBER })));
    criteria.push(...(await bench.probe(exercise, 'read', request, { user: OUTSIDER })));
    await bench.stopContainer(container, 5);
    criteria.push(...(await bench.probe(exercise, 'gone', request)));
    return criteria;
  } finally {
    await bench.removeContainer(container);
    await bench.probe(exercise, 'clear', request);
  }
}

export const exercise: Exercise = {
  number: 6,
  slug: 'permissions',
  title: 'Permissions',
  handout: '05-namespaces-and-permissions.md',
  tracks: { ts: ['server.ts'], c: ['server.c'] },
  check,
  probes: { clear, ready, read, poke, gone },
};
