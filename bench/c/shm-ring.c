/* The C reference for the textbook ring: the design of src/labs/ring/ring.ts (its slots, its
 * `empty` and `full` counting semaphores, one P and one V per message), in plain C, with the
 * consumer a fork()ed child that times itself from message WARMUP on, as the TypeScript consumer
 * does. Prints one JSON line.
 * Usage: shm-ring MESSAGE_BYTES TOTAL_BYTES RING_BYTES WARMUP [PRODUCER_CPU CONSUMER_CPU] */
#include "bench-util.h"
#include "ring-layout.h"
#include <string.h>
#include <sys/shm.h>
#include <sys/wait.h>

int main(int argc, char *argv[]) {
    if (argc < 5) { fprintf(stderr, "usage: %s MESSAGE_BYTES TOTAL_BYTES RING_BYTES WARMUP [CPU CPU]\n", argv[0]); return 2; }
    size_t msg = strtoul(argv[1], NULL, 0), total = strtoul(argv[2], NULL, 0), ring = strtoul(argv[3], NULL, 0);
    size_t warmup = strtoul(argv[4], NULL, 0);
    size_t slots = ring / msg ? ring / msg : 1, count = total / msg;
    int shmid = shmget(IPC_PRIVATE, RING_SLOT_OFFSET(msg, slots), IPC_CREAT | 0600);
    if (shmid == -1) die("shmget");
    int semid = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
    if (semid == -1) die("semget");
    unsigned short init[2] = { (unsigned short) slots, 0 };
    if (semctl(semid, 0, SETALL, init) == -1) die("semctl");
    char *seg = shmat(shmid, NULL, 0);
    if (seg == (void *) -1) die("shmat");
    struct source src = source_for(msg);
    unsigned char *dst = malloc(msg);
    int pipefd[2];
    if (pipe(pipefd) == -1) die("pipe");
    pid_t child = fork();
    if (child == -1) die("fork");
    if (child == 0) { /* consumer: P(full), check, copy out, V(empty); the empty slot ends it */
        pin(argc > 6 ? argv[6] : NULL);
        double t0 = now_s();
        size_t from = 0, received = 0;
        for (uint32_t seq = 0;; seq++) {
            op(semid, RING_SEM_FULL, -1);
            if (seq == warmup) { t0 = now_s(); from = received; }
            struct ring_slot *slot = (struct ring_slot *) (seg + RING_SLOT_OFFSET(msg, seq % slots));
            if (slot->sequence != seq) _exit(4);
            if (slot->length == 0) {
                struct report r = { now_s() - t0, received - from, 2 * (size_t) seq + 1 };
                send_report(pipefd[1], r);
                _exit(0);
            }
            memcpy(dst, slot->data, slot->length);
            keep(dst);
            received += slot->length;
            op(semid, RING_SEM_EMPTY, +1);
        }
    }
    pin(argc > 5 ? argv[5] : NULL); /* producer: P(empty), copy in, V(full); then the end */
    for (uint32_t seq = 0; seq <= count; seq++) {
        op(semid, RING_SEM_EMPTY, -1);
        struct ring_slot *slot = (struct ring_slot *) (seg + RING_SLOT_OFFSET(msg, seq % slots));
        if (seq < count) memcpy(slot->data, source_at(&src, seq), msg);
        slot->sequence = seq;
        slot->length = seq < count ? msg : 0;
        op(semid, RING_SEM_FULL, +1);
    }
    int status;
    waitpid(child, &status, 0);
    shmdt(seg); shmctl(shmid, IPC_RMID, NULL); semctl(semid, 0, IPC_RMID);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) { fprintf(stderr, "consumer failed (%d)\n", WEXITSTATUS(status)); return 1; }
    struct report r = read_report(pipefd[0]);
    printf("{\"bytes\": %zu, \"seconds\": %.6f, \"messages\": %zu, \"semops\": %zu}\n", r.bytes, r.seconds, count + 1, 2 * (count + 1) + r.semops);
    return 0;
}
