/* The C reference for the ring buffer benchmark: the same design as src/ring.ts (a ring of
 * slots in one System V segment, `empty` and `full` counting semaphores), in plain C, with the
 * consumer a fork()ed child. Prints one JSON line.
 * Usage: shm-ring MESSAGE_BYTES TOTAL_BYTES RING_BYTES [PRODUCER_CPU CONSUMER_CPU] */
#include "bench-util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char *argv[]) {
    if (argc < 4) { fprintf(stderr, "usage: %s MESSAGE_BYTES TOTAL_BYTES RING_BYTES [CPU CPU]\n", argv[0]); return 2; }
    size_t msg = strtoul(argv[1], NULL, 0), total = strtoul(argv[2], NULL, 0), ring = strtoul(argv[3], NULL, 0);
    size_t slots = ring / msg ? ring / msg : 1, count = total / msg;
    int shmid = shmget(IPC_PRIVATE, slots * msg, IPC_CREAT | 0600);
    if (shmid == -1) die("shmget");
    int semid = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
    if (semid == -1) die("semget");
    unsigned short init[2] = { (unsigned short) slots, 0 };
    if (semctl(semid, 0, SETALL, init) == -1) die("semctl");
    char *ringp = shmat(shmid, NULL, 0);
    if (ringp == (void *) -1) die("shmat");
    char *src = malloc(msg), *dst = malloc(msg);
    memset(src, 0x5a, msg);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t child = fork();
    if (child == -1) die("fork");
    if (child == 0) {                       /* consumer: P(full), copy out, V(empty) */
        pin(argc > 5 ? argv[5] : NULL);
        for (size_t i = 0; i < count; i++) { op(semid, 1, -1); memcpy(dst, ringp + (i % slots) * msg, msg); op(semid, 0, +1); }
        _exit(dst[0] == 0x5a ? 0 : 3);
    }
    pin(argc > 4 ? argv[4] : NULL);          /* producer: P(empty), copy in, V(full) */
    for (size_t i = 0; i < count; i++) { op(semid, 0, -1); memcpy(ringp + (i % slots) * msg, src, msg); op(semid, 1, +1); }
    int status;
    waitpid(child, &status, 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    shmdt(ringp); shmctl(shmid, IPC_RMID, NULL); semctl(semid, 0, IPC_RMID);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) { fprintf(stderr, "consumer failed\n"); return 1; }
    printf("{\"bytes\": %zu, \"seconds\": %.6f}\n", count * msg, s);
    return 0;
}
