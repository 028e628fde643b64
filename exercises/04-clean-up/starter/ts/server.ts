/**
 * Exercise 4: clean up after yourself (TypeScript). Task: exercises/04-clean-up/README.md
 *
 * Makes a segment, writes the PI message into it, and waits. On SIGTERM (what `docker stop`
 * and `make down` send) it exits, and leaves its segment behind: the next run then finds the
 * key taken and fails. Make it clean up (see the TODO).
 */
import { watchShutdown } from '#lab/core/signals.ts';
import { writeSegment } from '#lab/labs/message/codec.ts';
import { MIN_SEGMENT_SIZE, THE_MESSAGE } from '#lab/labs/message/contract.ts';
import { attach, ftok, getSegment, IPC_CREAT, IPC_EXCL, remove } from '#lab/sysv/shm.ts';

const PROJECT_ID = 0x34; // exercise 4's key: ftok(the lab's key file, '4')

const key = ftok(process.env.IPC_LAB_KEY_FILE ?? '/var/lib/ipc-lab/ftok.key', PROJECT_ID);
// IPC_EXCL: fail if the key is taken, rather than silently reuse a stale segment.
const shmid = getSegment(key, MIN_SEGMENT_SIZE, IPC_CREAT | IPC_EXCL | 0o600);
const segment = attach(shmid);
await writeSegment(segment.view, THE_MESSAGE);
console.log(`server: segment ${shmid} ready; waiting for SIGTERM`);

// A handler for SIGTERM (and SIGINT, SIGHUP) replaces Node's default, which is to die at once;
// keepAlive holds the process up while it has nothing else to do but wait.
const shutdown = watchShutdown({ keepAlive: true });
await shutdown.stopped;
shutdown.dispose();
console.log(`server: ${shutdown.signal}: exiting`);
// TODO: the process exits here, but the segment outlives it (System V objects belong to the
// namespace, not to a process). Detach, then remove it: shmctl(IPC_RMID) is remove() here.
void [segment, remove];
