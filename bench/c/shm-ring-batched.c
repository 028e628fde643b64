/* The C reference for the batched ring: the design of src/labs/ring/batched.ts (head and tail in
 * the segment, published with sequentially consistent stores; a side with nothing to do spins,
 * when it has a CPU of its own, then sets `sleeping` and blocks on its semaphore; the other side
 * posts it only when `sleeping` says so, and wakes a producer only once half the ring is free),
 * in plain C, with the consumer a fork()ed child; spinning means 50 us of looking again. Prints one JSON line, with the semops made.
 * Usage: shm-ring-batched MESSAGE_BYTES TOTAL_BYTES RING_BYTES [PRODUCER_CPU CONSUMER_CPU] */
#include "bench-util.h"
#include "ring-layout.h"
#include <errno.h>
#include <string.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int semid;
static size_t semops;

/* Look again for this long before sleeping (as the TypeScript side does), only with a CPU of
 * one's own: on a shared one, spinning only keeps the other side from running. */
#define SPIN_NS 50000
static int spins(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == -1) die("sched_getaffinity");
    return CPU_COUNT(&set) > 1;
}
static long long now_ns(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000000000LL + t.tv_nsec; }

static void post(int num) { op(semid, num, +1); semops++; }

/* Waits until ready(load(at)), spinning, then sleeping on semaphore `num` with *sleeping set. */
static uint32_t wait_for(volatile uint32_t *at, int (*ready)(uint32_t), volatile uint32_t *sleeping, int num, int spin) {
    if (spin) {
        long long until = now_ns() + SPIN_NS;
        for (int i = 0;; i++) {
            uint32_t v = __atomic_load_n(at, __ATOMIC_SEQ_CST);
            if (ready(v)) return v;
            if ((i & 63) == 63 && now_ns() > until) break;
        }
    }
    __atomic_store_n(sleeping, 1, __ATOMIC_SEQ_CST);
    for (;;) {
        uint32_t v = __atomic_load_n(at, __ATOMIC_SEQ_CST);
        if (ready(v)) { __atomic_store_n(sleeping, 0, __ATOMIC_SEQ_CST); return v; }
        struct sembuf sb = { (unsigned short) num, -1, 0 };
        struct timespec wait = { 0, 100 * 1000 * 1000 };
        semops++;
        if (semtimedop(semid, &sb, 1, &wait) == -1 && errno != EAGAIN && errno != EINTR) die("semtimedop");
    }
}

static uint32_t head, tail, slots;
static int has_space(uint32_t t) { return head - t < slots; }
static int has_data(uint32_t h) { return h != tail; }

int main(int argc, char *argv[]) {
    if (argc < 4) { fprintf(stderr, "usage: %s MESSAGE_BYTES TOTAL_BYTES RING_BYTES [CPU CPU]\n", argv[0]); return 2; }
    size_t msg = strtoul(argv[1], NULL, 0), total = strtoul(argv[2], NULL, 0), ring = strtoul(argv[3], NULL, 0);
    slots = ring / msg ? ring / msg : 1;
    size_t count = total / msg;
    int shmid = shmget(IPC_PRIVATE, ring_slot_offset(BATCHED_SLOTS_OFFSET, msg, slots), IPC_CREAT | 0600);
    if (shmid == -1) die("shmget");
    semid = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
    if (semid == -1) die("semget");
    char *seg = shmat(shmid, NULL, 0);
    if (seg == (void *) -1) die("shmat");
    struct ring_producer *prod = (struct ring_producer *) (seg + RING_PRODUCER_OFFSET);
    struct ring_consumer *cons = (struct ring_consumer *) (seg + RING_CONSUMER_OFFSET);
    struct source src = source_for(msg);
    unsigned char *dst = malloc(msg);
    int counts[2]; /* the consumer's semop count, back to the parent */
    if (pipe(counts) == -1) die("pipe");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t child = fork();
    if (child == -1) die("fork");
    if (child == 0) { /* consumer: all that is there, each slot handed back at once */
        pin(argc > 5 ? argv[5] : NULL);
        int spin = spins();
        uint32_t seen = 0;
        for (;;) {
            if (seen == tail) seen = wait_for(&prod->head, has_data, &cons->sleeping, BATCHED_SEM_DATA, spin);
            head = seen; /* for has_space-free use below: the consumer's cached head */
            while (tail != seen) {
                struct ring_slot *slot = (struct ring_slot *) (seg + ring_slot_offset(BATCHED_SLOTS_OFFSET, msg, tail % slots));
                if (slot->sequence != tail) _exit(4);
                uint32_t length = slot->length;
                if (length == 0) {
                    __atomic_store_n(&cons->tail, tail + 1, __ATOMIC_SEQ_CST);
                    if (write(counts[1], &semops, sizeof semops) != sizeof semops) _exit(5);
                    _exit(0);
                }
                memcpy(dst, slot->data, length);
                keep(dst);
                tail++;
                __atomic_store_n(&cons->tail, tail, __ATOMIC_SEQ_CST);
                if (seen - tail <= slots / 2 && __atomic_load_n(&prod->sleeping, __ATOMIC_SEQ_CST) == 1) post(BATCHED_SEM_SPACE);
            }
        }
    }
    pin(argc > 4 ? argv[4] : NULL); /* producer: a free slot from the cached tail, publish, wake if asleep */
    int spin = spins();
    for (size_t i = 0; i <= count; i++) {
        if (!has_space(tail)) tail = wait_for(&cons->tail, has_space, &prod->sleeping, BATCHED_SEM_SPACE, spin);
        struct ring_slot *slot = (struct ring_slot *) (seg + ring_slot_offset(BATCHED_SLOTS_OFFSET, msg, head % slots));
        if (i < count) memcpy(slot->data, source_at(&src, i), msg);
        slot->sequence = head;
        slot->length = i < count ? msg : 0;
        head++;
        __atomic_store_n(&prod->head, head, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&cons->sleeping, __ATOMIC_SEQ_CST) == 1) post(BATCHED_SEM_DATA);
    }
    int status;
    waitpid(child, &status, 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    shmdt(seg); shmctl(shmid, IPC_RMID, NULL); semctl(semid, 0, IPC_RMID);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) { fprintf(stderr, "consumer failed (%d)\n", WEXITSTATUS(status)); return 1; }
    size_t consumer_semops = 0;
    if (read(counts[0], &consumer_semops, sizeof consumer_semops) != sizeof consumer_semops) die("read");
    printf("{\"bytes\": %zu, \"seconds\": %.6f, \"messages\": %zu, \"semops\": %zu}\n", count * msg, s, count + 1, semops + consumer_semops);
    return 0;
}
