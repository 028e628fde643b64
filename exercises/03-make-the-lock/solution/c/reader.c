/*
 * Exercise 3: make the lock (C), the reference reader.
 *
 * Copies the writer's record again and again for --seconds=N (2 by default), each copy under
 * the lock, and counts the copies whose 63 numbers are not all the same: torn reads. With the
 * lock on both sides there are none.
 *
 *   reads 48211, torn 0
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>

#include "ipc-lab.h"

#define PROJECT_ID 0x33 /* the writer's */

static struct sembuf P = { .sem_num = IPC_LAB_RACE_LOCK, .sem_op = -1, .sem_flg = SEM_UNDO };
static struct sembuf V = { .sem_num = IPC_LAB_RACE_LOCK, .sem_op = +1, .sem_flg = SEM_UNDO };

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    double seconds = 2;
    for (int i = 1; i < argc; i++) if (strncmp(argv[i], "--seconds=", 10) == 0) seconds = atof(argv[i] + 10);
    const char *key_file = getenv("IPC_LAB_KEY_FILE") ? getenv("IPC_LAB_KEY_FILE") : IPC_LAB_KEY_FILE;
    key_t key = ftok(key_file, PROJECT_ID);
    if (key == -1) { perror("ftok"); return 1; }
    int shmid = shmget(key, 0, 0);
    int semid = semget(key, 0, 0);
    if (shmid == -1 || semid == -1) { perror("shmget/semget: is the writer running?"); return 1; }
    const struct race_record *r = shmat(shmid, NULL, SHM_RDONLY);
    if (r == (void *) -1) { perror("shmat"); return 1; }

    unsigned long reads = 0, torn = 0;
    struct race_record copy;
    for (double until = now() + seconds; now() < until; ) {
        if (semop(semid, &P, 1) == -1) { perror("semop P"); return 1; }
        memcpy(&copy, r, sizeof copy);
        semop(semid, &V, 1);
        reads++;
        for (int i = 1; i < IPC_LAB_RACE_FIELDS; i++) {
            if (copy.seq[i] != copy.seq[0]) { torn++; break; }
        }
    }
    shmdt(r);
    printf("reads %lu, torn %lu\n", reads, torn);
    return 0;
}
