/* The C reference for the ping-pong benchmark: two processes hand a turn back and forth
 * through two System V semaphores, writing one 8-byte word in shared memory each time.
 * Prints one JSON line. Usage: pingpong ROUND_TRIPS [PING_CPU PONG_CPU] */
#include "bench-util.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char *argv[]) {
    if (argc < 2) { fprintf(stderr, "usage: %s ROUND_TRIPS [CPU CPU]\n", argv[0]); return 2; }
    long n = atol(argv[1]);
    int shmid = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    int semid = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
    if (shmid == -1 || semid == -1) die("get");
    volatile uint64_t *word = shmat(shmid, NULL, 0);
    if (word == (void *) -1) die("shmat");
    pid_t child = fork();
    if (child == 0) {
        pin(argc > 3 ? argv[3] : NULL);
        for (long i = 0; i < n; i++) { op(semid, 0, -1); *word = *word + 1; op(semid, 1, +1); }
        _exit(0);
    }
    pin(argc > 2 ? argv[2] : NULL);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < n; i++) { *word = *word + 1; op(semid, 0, +1); op(semid, 1, -1); }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    waitpid(child, NULL, 0);
    double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    shmdt((void *) word); shmctl(shmid, IPC_RMID, NULL); semctl(semid, 0, IPC_RMID);
    printf("{\"roundTrips\": %ld, \"seconds\": %.6f}\n", n, s);
    return 0;
}
