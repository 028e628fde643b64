/*
 * Exercise 3: make the lock (C), the reference writer.
 *
 * Makes the race record ("IPCR" and 63 sequence numbers, struct race_record in ipc-lab.h) and a
 * one-semaphore set with the value 1, then rewrites the record over and over, the same number
 * into every field, one field at a time. P before each record, V after: a reader that also
 * takes the lock never sees a record half rewritten. SEM_UNDO on both: if this process dies
 * holding the lock, the kernel undoes its P. On SIGTERM it removes both.
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

static struct sembuf P = { .sem_num = IPC_LAB_RACE_LOCK, .sem_op = -1, .sem_flg = SEM_UNDO };
static struct sembuf V = { .sem_num = IPC_LAB_RACE_LOCK, .sem_op = +1, .sem_flg = SEM_UNDO };

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
    printf("writer: segment %d, semaphore set %d: rewriting the record, P before and V after each\n", shmid, semid);
    fflush(stdout);
    for (uint32_t n = 1; !stopping; n++) {
        /* EINTR: a signal arrived while waiting for the lock; the loop then looks at stopping. */
        if (semop(semid, &P, 1) == -1) continue;
        /* volatile: each store happens, one field at a time, as the lesson needs. */
        for (int i = 0; i < IPC_LAB_RACE_FIELDS; i++) ((volatile uint32_t *) r->seq)[i] = n;
        semop(semid, &V, 1);
    }
    shmdt(r);
    shmctl(shmid, IPC_RMID, NULL);
    semctl(semid, 0, IPC_RMID);
    printf("writer: removed the segment and the semaphore set\n");
    return 0;
}
