/* The C reference for the ping-pong benchmark: two processes hand a turn back and forth through
 * two semaphores, writing one 8-byte word in shared memory each time. Either System V semaphores
 * (semop: a system call every time) or POSIX ones (sem_t with pshared = 1 in a POSIX shared memory
 * object: an atomic in user space, and a futex call only to sleep or to wake). Both are contended
 * here: every operation hands the turn to a process that is waiting for it.
 * Prints one JSON line. Usage: pingpong sysv|posix ROUND_TRIPS [PING_CPU PONG_CPU] */
#include "bench-util.h"
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The same places as the TypeScript side (src/bench/pingpong.ts): the word at 0, the two sem_t at
 * 64 and 128, each in a cache line of its own. */
struct turn {
    _Alignas(64) volatile uint64_t word;
    _Alignas(64) sem_t ping;
    _Alignas(64) sem_t pong;
};

/* sem_wait, again after a signal; any other failure ends the run. */
static void take(sem_t *s) { while (sem_wait(s) == -1) if (errno != EINTR) die("sem_wait"); }

int main(int argc, char *argv[]) {
    if (argc < 3 || (strcmp(argv[1], "sysv") && strcmp(argv[1], "posix"))) {
        fprintf(stderr, "usage: %s sysv|posix ROUND_TRIPS [CPU CPU]\n", argv[0]);
        return 2;
    }
    int posix = strcmp(argv[1], "posix") == 0;
    long n = atol(argv[2]);
    int shmid = -1, semid = -1;
    struct turn *t;
    if (posix) {
        /* A POSIX object, as the lab makes one; unlinked at once: the mapping (inherited by fork)
         * is all the two processes need, and a crash cannot leave the name behind. */
        char name[64];
        snprintf(name, sizeof name, "/ipc-lab-bench-pingpong-%d", (int) getpid());
        int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
        if (fd == -1) die("shm_open");
        shm_unlink(name); /* at once: the descriptor is enough, and no failure below leaves the name */
        if (ftruncate(fd, sizeof *t) == -1) die("ftruncate");
        t = mmap(NULL, sizeof *t, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (t == MAP_FAILED) die("mmap");
        close(fd);
        if (sem_init(&t->ping, 1, 0) == -1 || sem_init(&t->pong, 1, 0) == -1) die("sem_init");
    } else {
        shmid = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
        semid = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
        if (shmid == -1 || semid == -1) die("get");
        t = shmat(shmid, NULL, 0);
        if (t == (void *) -1) die("shmat");
    }
    pid_t child = fork();
    if (child == 0) {
        pin(argc > 4 ? argv[4] : NULL);
        for (long i = 0; i < n; i++) {
            if (posix) { take(&t->ping); t->word = t->word + 1; sem_post(&t->pong); }
            else { op(semid, 0, -1); t->word = t->word + 1; op(semid, 1, +1); }
        }
        _exit(0);
    }
    pin(argc > 3 ? argv[3] : NULL);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < n; i++) {
        if (posix) { t->word = t->word + 1; sem_post(&t->ping); take(&t->pong); }
        else { t->word = t->word + 1; op(semid, 0, +1); op(semid, 1, -1); }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    waitpid(child, NULL, 0);
    double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (posix) { sem_destroy(&t->ping); sem_destroy(&t->pong); munmap(t, sizeof *t); }
    else { shmdt((void *) t); shmctl(shmid, IPC_RMID, NULL); semctl(semid, 0, IPC_RMID); }
    printf("{\"roundTrips\": %ld, \"seconds\": %.6f}\n", n, s);
    return 0;
}
