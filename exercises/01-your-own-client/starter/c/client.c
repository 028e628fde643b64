/*
 * Exercise 1: your own client (C). Task: exercises/01-your-own-client/README.md
 *
 * Find the server's segment, attach it so that this process can only read it, and print the
 * fraction and its value from the struct the server wrote (ipc-lab.h declares it):
 *
 *   22/7 = 3.14286
 *
 * Run it:   make check N=1 TRACK=c     (gcc in the workbench, in the lab's IPC namespace)
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include "ipc-lab.h"

int main(void) {
    /* The same key as the server's: the same file on the lab's volume, the same project id. */
    const char *key_file = getenv("IPC_LAB_KEY_FILE") ? getenv("IPC_LAB_KEY_FILE") : IPC_LAB_KEY_FILE;
    key_t key = ftok(key_file, IPC_LAB_MESSAGE_PROJECT_ID);
    if (key == -1) { perror("ftok"); return 1; }
    /* Size 0 and no IPC_CREAT: find the server's segment, never make one. */
    int shmid = shmget(key, 0, 0);
    if (shmid == -1) { perror("shmget"); return 1; }
    printf("segment %d\n", shmid);

    /* ---- your code from here ------------------------------------------------------------- */
    /* TODO 1: attach it with shmat(2) so that it can only be read; check for (void *) -1.    */
    /* TODO 2: it holds a struct lab_segment: print message.numerator, message.denominator     */
    /*         and message.value as "22/7 = 3.14286" (printf's %g: six significant digits).   */
    /* TODO 3: shmdt(2) it: the segment stays for other clients; only the server removes it.  */
    printf("?/? = ?\n");
    return 0;
}
