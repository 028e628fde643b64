/*
 * Exercise 1: your own client (C), the reference solution.
 *
 * Find the server's segment, attach it read-only, print the fraction and its value from the
 * struct the server wrote, detach.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include "ipc-lab.h"

int main(void) {
    const char *key_file = getenv("IPC_LAB_KEY_FILE") ? getenv("IPC_LAB_KEY_FILE") : IPC_LAB_KEY_FILE;
    key_t key = ftok(key_file, IPC_LAB_MESSAGE_PROJECT_ID);
    if (key == -1) { perror("ftok"); return 1; }
    int shmid = shmget(key, 0, 0);
    if (shmid == -1) { perror("shmget"); return 1; }
    printf("segment %d\n", shmid);

    /* SHM_RDONLY: the pages are mapped without write permission, so a stray write crashes
     * this process instead of corrupting what every other reader sees. const says the same
     * to the compiler. */
    const struct lab_segment *segment = shmat(shmid, NULL, SHM_RDONLY);
    if (segment == (void *) -1) { perror("shmat"); return 1; }

    const struct pi_message *m = &segment->message;
    printf("%d/%d = %g\n", (int) m->numerator, (int) m->denominator, m->value);

    /* Detach, never remove: whoever created the segment removes it. */
    if (shmdt(segment) == -1) { perror("shmdt"); return 1; }
    return 0;
}
