/*
 * Exercise 3: make the lock (C): the writer. Task: exercises/03-make-the-lock/README.md
 *
 * Makes the race record ("IPCR" and 63 sequence numbers, struct race_record in ipc-lab.h) and a
 * one-semaphore set with the value 1, then rewrites the record over and over, the same number
 * into every field, one field at a time. On SIGTERM it removes both. Nothing stops a reader from
 * copying the record half-way through a rewrite: the lock is missing (see the TODOs).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include "ipc-lab.h"

#define PROJECT_ID 0x33 /* exercise 3's key: ftok(the lab's key file, '3') */

/* TODO 1: the two operations on semaphore IPC_LAB_RACE_LOCK: P takes it (-1, waits while it is
 * 0), V gives it back (+1). Which flag makes the kernel give it back when this process dies? */
static struct sembuf P = { .sem_num = IPC_LAB_RACE_LOCK, .sem_op = 0, .sem_flg = 0 };
static struct sembuf V = { .sem_num = IPC_LAB_RACE_LOCK, .sem_op = 0, .sem_flg = 0 };

static volatile sig_atomic_t stopping = 0;
static void on_term(int sig) { (void) sig; stopping = 1; }

int main(void) {
    const char *key_file = getenv("IPC_LAB_KEY_FILE") ? getenv("IPC_LAB_KEY_FILE") : IPC_LAB_KEY_FILE;
    key_t key = ftok(key_file, PROJECT_ID);
    if (key == -1) { perror("ftok"); return 1; }
    int shmid = shmget(key, sizeof(struct race_record), IPC_CREAT | IPC_EXCL | 0600);
    if (shmid == -1) { perror("shmget"); return 1; }
    int semid = semget(key, 1, IPC_CREAT | IPC_EXCL | 0600);
    if (semid == -1) { perror("semget"); shmctl(shmid, IPC_RMID, NULL); return 1; }
    union semun arg = { .val = 1 }; /* free */
    if (semctl(semid, IPC_LAB_RACE_LOCK, SETVAL, arg) == -1) { perror("semctl SETVAL"); return 1; }
    struct race_record *r = shmat(shmid, NULL, 0);
    if (r == (void *) -1) { perror("shmat"); return 1; }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    memcpy(r->magic, IPC_LAB_RACE_MAGIC, 4);
    printf("writer: segment %d, semaphore set %d: rewriting the record (TODO: inside the lock)\n", shmid, semid);
    fflush(stdout);
    for (uint32_t n = 1; !stopping; n++) {
        /* TODO 2: take the lock before rewriting the record (semop), give it back after. */
        /* volatile: each store happens, one field at a time, as the lesson needs. */
        for (int i = 0; i < IPC_LAB_RACE_FIELDS; i++) ((volatile uint32_t *) r->seq)[i] = n;
    }
    (void) P;
    (void) V;
    shmdt(r);
    shmctl(shmid, IPC_RMID, NULL);
    semctl(semid, 0, IPC_RMID);
    printf("writer: removed the segment and the semaphore set\n");
    return 0;
}
