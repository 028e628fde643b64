/**
 * Exercise 6: permissions (TypeScript), the reference server.
 *
 * Makes a segment that its owner may read and write, its group (gid 10001, `lab`) may only
 * read, and nobody else may touch: mode 0640. Writes the PI message, waits for SIGTERM, then
 * removes the segment. The kernel checks the mode at every shmget and shmat: a group member's
 * read-only attach is allowed, its attach for writing (what `ipc-lab poke` does) is refused
 * with EACCES, and a process outside the group is refused even a read.
 */
import { watchShutdown } from '#lab/core/signals.ts';
import { writeSegment } from '#lab/labs/message/codec.ts';
import { MIN_SEGMENT_SIZE, THE_MESSAGE } from '#lab/labs/message/contract.ts';
import { attach, ftok, getSegment, IPC_CREAT, IPC_EXCL, remove } from '#lab/sysv/shm.ts';

const PROJECT_ID = 0x36; // exercise 6's key: ftok(the lab's key file, '6')
// rw- for the owner, r-- for the group, --- for others.
const MODE = 0o640;

const key = ftok(process.env.IPC_LAB_KEY_FILE ?? '/var/lib/ipc-lab/ftok.key', PROJECT_ID);
const shmid = getSegment(key, MIN_SEGMENT_SIZE, IPC_CREAT | IPC_EXCL | MODE);
const segment = attach(shmid);
await writeSegment(segment.view, THE_MESSAGE);
console.log(`server: segment ${shmid}, mode 0${MODE.toString(8)}, ready; waiting for SIGTERM`);

const shutdown = watchShutdown({ keepAlive: true });
await shutdown.stopped;
shutdown.dispose();
segment.detach();
remove(shmid);
console.log(`server: removed segment ${shmid}`);
