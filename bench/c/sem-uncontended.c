/* The C reference for the uncontended semaphore cost: one process takes and gives back a
 * semaphore that nobody else uses, PAIRS times, first a System V one (semop -1, then +1: two
 * system calls), then a POSIX one (sem_wait, sem_post on a sem_t with pshared = 1 in a POSIX
 * shared memory object: two atomic operations, no system call while nobody has to sleep).
 * The POSIX pairs are 10 x PAIRS: each is some hundred times cheaper, and the clock needs time.
 * Prints one JSON line, nanoseconds a pair. Usage: sem-uncontended PAIRS [CPU] */
#include "bench-util.h"
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <unistd.h>

int main(int argc, char *argv[]) {
    if (argc < 2) { fprintf(stderr, "usage: %s PAIRS [CPU]\n", argv[0]); return 2; }
    long n = atol(argv[1]);
    pin(argc > 2 ? argv[2] : NULL);

    int semid = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
    if (semid == -1) die("semget");
    double t0 = now_s();
    for (long i = 0; i < n; i++) { op(semid, 0, +1); op(semid, 0, -1); }
    double sysv = (now_s() - t0) / n * 1e9;
    semctl(semid, 0, IPC_RMID);

    char name[64];
    snprintf(name, sizeof name, "/ipc-lab-bench-sem-%d", (int) getpid());
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd == -1) die("shm_open");
    shm_unlink(name); /* at once: the descriptor is enough, and no failure below leaves the name */
    if (ftruncate(fd, sizeof(sem_t)) == -1) die("ftruncate");
    sem_t *sem = mmap(NULL, sizeof(sem_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (sem == MAP_FAILED) die("mmap");
    close(fd);
    if (sem_init(sem, 1, 0) == -1) die("sem_init");
    t0 = now_s();
    for (long i = 0; i < 10 * n; i++) { sem_post(sem); sem_wait(sem); }
    double posix = (now_s() - t0) / (10 * n) * 1e9;
    sem_destroy(sem);
    munmap(sem, sizeof(sem_t));

    printf("{\"pairs\": %ld, \"sysv\": %.3f, \"posix\": %.3f}\n", n, sysv, posix);
    return 0;
}
