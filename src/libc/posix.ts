/**
 * POSIX shared memory and semaphores, declared through koffi and nothing else: the prototypes
 * with their C names and the constants of <fcntl.h>, <sys/mman.h> and <semaphore.h> (Linux, both
 * 64-bit arches). ../posix/ gives them types and checked errors. In glibc 2.34 and later these
 * live in libc.so.6 itself (no -lrt, no -pthread); on an older host they come from librt.so.1
 * (shm_open, shm_unlink) and libpthread.so.0 (sem_*), where they were before.
 *
 * A POSIX shared memory object is a file on the tmpfs at /dev/shm, found by name ("/ipc-lab-..."):
 * shm_open gives a file descriptor, ftruncate sizes it, mmap maps it. A POSIX semaphore made with
 * sem_init(pshared = 1) is 32 bytes (sem_t) inside such a mapping; sem_wait and sem_post touch
 * only those bytes, and enter the kernel (futex) only to sleep or to wake a sleeper.
 */
import koffi from 'koffi';
import { libc } from './ipc.ts';

/** From libc.so.6 (glibc 2.34 on), else from the library that held it before. */
function declare(older: 'librt.so.1' | 'libpthread.so.0', prototype: string): ReturnType<typeof libc.func> {
  try {
    return libc.func(prototype);
  } catch {
    return koffi.load(older).func(prototype);
  }
}

/** <fcntl.h> */
export const O_RDONLY = 0;
export const O_RDWR = 0o2;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
/** <sys/mman.h> */
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const MAP_SHARED = 1;
/** mmap's failure value, MAP_FAILED, `(void *) -1`. */
export const MAP_FAILED = 0xffff_ffff_ffff_ffffn;
/** sizeof(sem_t) with glibc on x86_64 and aarch64; its alignment is 8 (a long). */
export const SEM_T_SIZE = 32;

export const shm_open: (name: string, oflag: number, mode: number) => number = declare(
  'librt.so.1',
  'int shm_open(const char *name, int oflag, uint32_t mode)',
);
export const shm_unlink: (name: string) => number = declare('librt.so.1', 'int shm_unlink(const char *name)');
export const ftruncate: (fd: number, length: number) => number = libc.func('int ftruncate(int fd, int64_t length)');
/** Returns the errno itself (0 on success), not -1: the one call here that does not set errno. */
export const posix_fallocate: (fd: number, offset: number, len: number) => number = libc.func(
  'int posix_fallocate(int fd, int64_t offset, int64_t len)',
);
export const close: (fd: number) => number = libc.func('int close(int fd)');
export const mmap: (addr: bigint | null, length: number, prot: number, flags: number, fd: number, offset: number) => bigint = libc.func(
  'void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)',
);
export const munmap: (addr: bigint, length: number) => number = libc.func('int munmap(void *addr, size_t length)');

/** Semaphores in shared memory: `sem` is the address of a sem_t inside a MAP_SHARED mapping. */
export const sem_init: (sem: bigint, pshared: number, value: number) => number = declare(
  'libpthread.so.0',
  'int sem_init(void *sem, int pshared, unsigned int value)',
);
export const sem_destroy: (sem: bigint) => number = declare('libpthread.so.0', 'int sem_destroy(void *sem)');
export const sem_post: (sem: bigint) => number = declare('libpthread.so.0', 'int sem_post(void *sem)');
export const sem_wait: (sem: bigint) => number = declare('libpthread.so.0', 'int sem_wait(void *sem)');
export const sem_trywait: (sem: bigint) => number = declare('libpthread.so.0', 'int sem_trywait(void *sem)');
/** `abstime` is a struct timespec (16 bytes) of CLOCK_REALTIME, as encodeTimespec in ./sem.ts makes. */
export const sem_timedwait: (sem: bigint, abstime: Uint8Array) => number = declare(
  'libpthread.so.0',
  'int sem_timedwait(void *sem, const void *abstime)',
);
export const sem_getvalue: (sem: bigint, sval: Int32Array) => number = declare(
  'libpthread.so.0',
  'int sem_getvalue(void *sem, _Out_ int *sval)',
);
