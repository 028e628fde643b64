/*
 * Exercise 2's server (C): writes the PI message with the layout of the student's pi_message.h
 * (compiled with -I the student's folder), under exercise 2's key, and waits for SIGTERM. Not
 * for editing: the exercise is the header; this and client.c only show the two still talk.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#define IPC_LAB_OWN_PI_MESSAGE
#include "ipc-lab.h"
#include "pi_message.h"

#define PROJECT_ID 0x32 /* exercise 2's key: ftok(the lab's key file, '2') */

static volatile sig_atomic_t stopping = 0;
static void on_term(int sig) { (void) sig; stopping = 1; }

struct segment {
    struct lab_header header;
    struct pi_message message;
};

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
    int shmid = shmget(key, 1024, IPC_CREAT | IPC_EXCL | 0600);
    if (shmid == -1) { perror("shmget"); return 1; }
    struct segment *s = shmat(shmid, NULL, 0);
    if (s == (void *) -1) { perror("shmat"); shmctl(shmid, IPC_RMID, NULL); return 1; }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    memcpy(&s->header.magic, IPC_LAB_MESSAGE_MAGIC, 4);
    s->header.version = PI_MESSAGE_VERSION;
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
    printf("server: version %d, sizeof(struct pi_message) %zu; waiting for SIGTERM\n", PI_MESSAGE_VERSION, sizeof s->message);
    fflush(stdout);
    while (!stopping) sigsuspend(&unblocked); /* unblock and wait in one step: no signal is lost */
    shmdt(s);
    shmctl(shmid, IPC_RMID, NULL);
    return 0;
}
