/**
 * Where Linux (glibc) keeps POSIX shared memory objects: a tmpfs at /dev/shm, one file an object.
 * In a container it is the container's own, shared with those that share its IPC namespace.
 * Apart from shm.ts so that tools can look there without loading libc's POSIX calls.
 */
export const SHM_DIR = '/dev/shm';
