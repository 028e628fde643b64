/*
 * Exercise 6: permissions (C). Task: exercises/06-permissions/README.md
 *
 * Makes a segment that everyone may read and write. The task: its owner may read and write,
 * its group (gid 10001, `lab`) may only read, and nobody else may touch it. Writes the PI message, waits for SIGTERM, then
 * removes the segment. The kernel checks the mode at every shmget and shmat: a group member's
 * read-only attach is allowed, its attach for writing (what `ipc-lab poke` does) is refused
 * with EACCES, and a process outside the group is refused even a read.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include "ipc-lab.h"

#define PROJECT_ID 0x36 /* exercise 6's key: ftok(the lab's key file, '6') */
/* TODO: the permission bits, as for a file: owner, group, others, each r (4), w (2), x (unused).
 * 0666 lets any process in the namespace read the segment and scribble over it. */
#define MODE 0666

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
    int shmid = shmget(key, sizeof(struct lab_segment), IPC_CREAT | IPC_EXCL | MODE);
    if (shmid == -1) { perror("shmget"); return 1; }
    struct lab_segment *s = shmat(shmid, NULL, 0);
    if (s == (void *) -1) { perror("shmat"); shmctl(shmid, IPC_RMID, NULL); return 1; }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

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
    printf("server: segment %d, mode 0%o, ready; waiting for SIGTERM\n", shmid, MODE);
    fflush(stdout);

    /* sigsuspend unblocks the signals and waits, in one step: a SIGTERM that came at any time
     * since sigprocmask is delivered here. (A plain pause() after testing the flag could miss
     * one that arrived in between, and wait forever.) */
    while (!stopping) sigsuspend(&unblocked);

    printf("server: SIGTERM: cleaning up\n");
    if (shmdt(s) == -1) perror("shmdt");
    if (shmctl(shmid, IPC_RMID, NULL) == -1) { perror("shmctl IPC_RMID"); return 1; }
    printf("server: shmdt, then shmctl(%d, IPC_RMID): nothing left\n", shmid);
    return 0;
}
