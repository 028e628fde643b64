/* The C reference for the batched ring: the design of src/labs/ring/batched.ts (head and tail in
 * the segment, published with sequentially consistent stores; a side with nothing to do spins,
 * when it has a CPU of its own, then makes its `sleeps` odd and blocks on its semaphore; the
 * other side posts it once for each sleep, and only once half the ring is free (the consumer)
 * or half full (the producer, or at the end)),
 * in plain C, with the consumer a fork()ed child; spinning adapts between 1 and 50 us. Prints one JSON line, with the semops made.
 * The consumer times itself from message WARMUP on, as the TypeScript consumer does.
 * Usage: shm-ring-batched MESSAGE_BYTES TOTAL_BYTES RING_BYTES WARMUP [PRODUCER_CPU CONSUMER_CPU] */
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

/* How long to look again before sleeping, adapted as the TypeScript side does: 1 to 50 us,
 * doubled when a spin saw the other side move, halved when it did not (on a shared CPU the other
 * side cannot move while this one spins). */
#define SPIN_MIN_NS 1000
#define SPIN_MAX_NS 50000
static long long spin_ns = SPIN_MAX_NS;
static long long now_ns(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000000000LL + t.tv_nsec; }

static void post(int num) { op(semid, num, +1); semops++; }

/* Waits until ready(load(at)), spinning, then sleeping on semaphore `num` with *sleeps odd. */
static uint32_t wait_for(volatile uint32_t *at, int (*ready)(uint32_t), volatile uint32_t *sleeps, int num) {
    uint32_t v = __atomic_load_n(at, __ATOMIC_SEQ_CST);
    if (ready(v)) return v;
    long long until = now_ns() + spin_ns;
    for (int i = 1;; i++) {
        v = __atomic_load_n(at, __ATOMIC_SEQ_CST);
        if (ready(v)) { spin_ns = spin_ns * 2 < SPIN_MAX_NS ? spin_ns * 2 : SPIN_MAX_NS; return v; }
        if ((i & 15) == 0 && now_ns() > until) { spin_ns = spin_ns / 2 > SPIN_MIN_NS ? spin_ns / 2 : SPIN_MIN_NS; break; }
    }
    uint32_t mine = *sleeps; /* even: awake */
    __atomic_store_n(sleeps, mine + 1, __ATOMIC_SEQ_CST);
    for (;;) {
        uint32_t v = __atomic_load_n(at, __ATOMIC_SEQ_CST);
        if (ready(v)) { __atomic_store_n(sleeps, mine + 2, __ATOMIC_SEQ_CST); return v; }
        struct sembuf sb = { (unsigned short) num, -1, 0 };
        struct timespec wait = { 0, 100 * 1000 * 1000 };
        semops++;
        if (semtimedop(semid, &sb, 1, &wait) == -1 && errno != EAGAIN && errno != EINTR) die("semtimedop");
    }
}

/* A V on `num` once for each sleep of the other side: its *sleeps odd, and new. */
static void wake_if_asleep(volatile uint32_t *sleeps, uint32_t *posted, int num) {
    uint32_t s = __atomic_load_n(sleeps, __ATOMIC_SEQ_CST);
    if ((s & 1) && s != *posted) { *posted = s; post(num); }
}

/* The producer's side of it: a sleeping consumer is posted once `enough` messages wait for it
 * (half the ring), or at the end; woken for each message, a consumer on the producer's CPU
 * preempts it, takes that one message and sleeps again. */
struct waker { uint32_t posted, episode, slept_at; };
static uint32_t head, tail, slots;
static void wake_consumer_for(volatile uint32_t *sleeps, volatile uint32_t *tail_at, struct waker *w, uint32_t enough, int now) {
    uint32_t s = __atomic_load_n(sleeps, __ATOMIC_SEQ_CST);
    if (!(s & 1) || s == w->posted) return;
    if (s != w->episode) { w->episode = s; w->slept_at = __atomic_load_n(tail_at, __ATOMIC_SEQ_CST); }
    if (now || head - w->slept_at >= enough) { w->posted = s; post(BATCHED_SEM_DATA); }
}
static int has_space(uint32_t t) { return head - t < slots; }
static int has_data(uint32_t h) { return h != tail; }

int main(int argc, char *argv[]) {
    if (argc < 5) { fprintf(stderr, "usage: %s MESSAGE_BYTES TOTAL_BYTES RING_BYTES WARMUP [CPU CPU]\n", argv[0]); return 2; }
    size_t msg = strtoul(argv[1], NULL, 0), total = strtoul(argv[2], NULL, 0), ring = strtoul(argv[3], NULL, 0);
    size_t warmup = strtoul(argv[4], NULL, 0);
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
    struct producer_sleeps *prod_sleeps = (struct producer_sleeps *) (seg + PRODUCER_SLEEPS_OFFSET);
    struct consumer_sleeps *cons_sleeps = (struct consumer_sleeps *) (seg + CONSUMER_SLEEPS_OFFSET);
    struct source src = source_for(msg);
    unsigned char *dst = malloc(msg);
    int pipefd[2]; /* the consumer's report, back to the parent */
    if (pipe(pipefd) == -1) die("pipe");
    pid_t child = fork();
    if (child == -1) die("fork");
    if (child == 0) { /* consumer: all that is there, each slot handed back at once */
        pin(argc > 6 ? argv[6] : NULL);
        uint32_t seen = 0, posted = 0;
        double t0 = now_s();
        size_t from = 0, received = 0;
        for (;;) {
            if (seen == tail) seen = wait_for(&prod->head, has_data, &cons_sleeps->sleeps, BATCHED_SEM_DATA);
            while (tail != seen) {
                if (tail == warmup) { t0 = now_s(); from = received; }
                struct ring_slot *slot = (struct ring_slot *) (seg + ring_slot_offset(BATCHED_SLOTS_OFFSET, msg, tail % slots));
                if (slot->sequence != tail) _exit(4);
                uint32_t length = slot->length;
                if (length == 0) {
                    __atomic_store_n(&cons->tail, tail + 1, __ATOMIC_SEQ_CST);
                    struct report r = { now_s() - t0, received - from, semops };
                    send_report(pipefd[1], r);
                    _exit(0);
                }
                memcpy(dst, slot->data, length);
                keep(dst);
                received += length;
                tail++;
                __atomic_store_n(&cons->tail, tail, __ATOMIC_SEQ_CST);
                if (seen - tail <= slots / 2) wake_if_asleep(&prod_sleeps->sleeps, &posted, BATCHED_SEM_SPACE);
            }
        }
    }
    pin(argc > 5 ? argv[5] : NULL); /* producer: a free slot from the cached tail, publish, wake if asleep */
    struct waker consumer = { 0, 0, 0 };
    uint32_t half = slots / 2 ? slots / 2 : 1;
    for (size_t i = 0; i <= count; i++) {
        if (!has_space(tail)) tail = wait_for(&cons->tail, has_space, &prod_sleeps->sleeps, BATCHED_SEM_SPACE);
        struct ring_slot *slot = (struct ring_slot *) (seg + ring_slot_offset(BATCHED_SLOTS_OFFSET, msg, head % slots));
        if (i < count) memcpy(slot->data, source_at(&src, i), msg);
        slot->sequence = head;
        slot->length = i < count ? msg : 0;
        head++;
        __atomic_store_n(&prod->head, head, __ATOMIC_SEQ_CST);
        wake_consumer_for(&cons_sleeps->sleeps, &cons->tail, &consumer, half, i == count);
    }
    int status;
    waitpid(child, &status, 0);
    shmdt(seg); shmctl(shmid, IPC_RMID, NULL); semctl(semid, 0, IPC_RMID);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) { fprintf(stderr, "consumer failed (%d)\n", WEXITSTATUS(status)); return 1; }
    struct report r = read_report(pipefd[0]);
    printf("{\"bytes\": %zu, \"seconds\": %.6f, \"messages\": %zu, \"semops\": %zu}\n", r.bytes, r.seconds, count + 1, semops + r.semops);
    return 0;
}
