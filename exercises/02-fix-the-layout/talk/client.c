/*
 * Exercise 2's client (C): reads the PI message with the layout of the student's pi_message.h,
 * after checking that the header's version and payload_size are the ones it was built for.
 * Not for editing (see server.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#define IPC_LAB_OWN_PI_MESSAGE
#include "ipc-lab.h"
#include "pi_message.h"

#define PROJECT_ID 0x32

struct segment {
    struct lab_header header;
    struct pi_message message;
};

int main(void) {
    const char *key_file = getenv("IPC_LAB_KEY_FILE") ? getenv("IPC_LAB_KEY_FILE") : IPC_LAB_KEY_FILE;
    key_t key = ftok(key_file, PROJECT_ID);
    if (key == -1) { perror("ftok"); return 1; }
    int shmid = shmget(key, 0, 0);
    if (shmid == -1) { perror("shmget"); return 1; }
    const struct segment *s = shmat(shmid, NULL, SHM_RDONLY);
    if (s == (void *) -1) { perror("shmat"); return 1; }
    int status = 0;
    if (memcmp(&s->header.magic, IPC_LAB_MESSAGE_MAGIC, 4) != 0) {
        fprintf(stderr, "client: not a lab segment\n");
        status = 4;
    } else if (s->header.version != PI_MESSAGE_VERSION || s->header.payload_size != sizeof s->message) {
        fprintf(stderr, "client: the segment has layout version %u (%u bytes); this client reads version %d (%zu bytes)\n",
                s->header.version, s->header.payload_size, PI_MESSAGE_VERSION, sizeof s->message);
        status = 4;
    } else if (__atomic_load_n(&s->header.state, __ATOMIC_ACQUIRE) != LAB_READY) {
        fprintf(stderr, "client: the message is not ready\n");
        status = 4;
    } else {
        const struct pi_message *m = &s->message;
        printf("%s%d%c%d%s%g%s\n", m->intro, (int) m->numerator, m->slash, (int) m->denominator, m->equals, m->value, m->outro);
    }
    shmdt(s);
    return status;
}
