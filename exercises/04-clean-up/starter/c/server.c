/*
 * Exercise 4: clean up after yourself (C). Task: exercises/04-clean-up/README.md
 *
 * Makes a segment, writes the PI message into it, and waits. SIGTERM (what `docker stop` and
 * `make down` send) kills it, as it has no handler: the segment outlives it, and the next run
 * finds the key taken and fails. Make it clean up (see the TODOs).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include "ipc-lab.h"

#define PROJECT_ID 0x34 /* exercise 4's key: ftok(the lab's key file, '4') */

static volatile sig_atomic_t stopping = 0;

/* A handler may only do what is async-signal-safe: set a flag, and let main clean up. */
static void on_term(int sig) { (void) sig; stopping = 1; }

int main(void) {
    const char *key_file = getenv("IPC_LAB_KEY_FILE") ? getenv("IPC_LAB_KEY_FILE") : IPC_LAB_KEY_FILE;
    /* SIGTERM and SIGINT held back until main waits for them (sigsuspend below). */
    sigset_t stop_signals, unblocked;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    sigprocmask(SIG_BLOCK, &stop_signals, &unblocked);
    key_t key = ftok(key_file, PROJECT_ID);
    if (key == -1) { perror("ftok"); return 1; }
    /* IPC_EXCL: fail if the key is taken, rather than silently reuse a stale segment. */
    int shmid = shmget(key, sizeof(struct lab_segment), IPC_CREAT | IPC_EXCL | 0600);
    if (shmid == -1) { perror("shmget"); return 1; }
    struct lab_segment *s = shmat(shmid, NULL, 0);
    if (s == (void *) -1) { perror("shmat"); shmctl(shmid, IPC_RMID, NULL); return 1; }

    /* TODO 1: install on_term for SIGTERM (and SIGINT) with sigaction(2). Without a handler,
     * SIGTERM's default action kills the process before it can clean anything up. */
    (void) on_term;

    memcpy(&s->header.magic, IPC_LAB_MESSAGE_MAGIC, 4);
    s->header.version = IPC_LAB_MESSAGE_VERSION;
    s->header.header_size = sizeof s->header;
    s->header.payload_size = sizeof s->message;
    strcpy(s->message.intro, "PI is defined as: ");
    s->message.numerator = 22;
    s->message.slash = '/';
    s->message.denominator = 7;
    strcpy(s->message.equals, "==");
    s->message.value = 22.0 / 7;
    strcpy(s->message.outro, "\n\ngoodbye");
    __atomic_store_n(&s->header.state, LAB_READY, __ATOMIC_RELEASE);
    printf("server: segment %d ready; waiting for SIGTERM\n", shmid);
    fflush(stdout);

    /* sigsuspend unblocks the signals and waits, in one step: a SIGTERM that came at any time
     * since sigprocmask is delivered here. (A plain pause() after testing the flag could miss
     * one that arrived in between, and wait forever.) */
    while (!stopping) sigsuspend(&unblocked);

    printf("server: SIGTERM: exiting\n");
    /* TODO 2: the segment outlives the process (System V objects belong to the namespace):
     * detach it (shmdt), then remove it (shmctl with IPC_RMID). */
    return 0;
}
