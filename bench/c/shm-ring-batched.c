/* The C reference for the batched ring: the design of src/labs/ring/batched.ts, line for line,
 * in plain C, with the consumer a fork()ed child. Head and tail in the segment, published with
 * sequentially consistent stores; the slots' headers together and their data together, so a run
 * of slots is one memcpy in and one out; each side publishes its index once a batch (a quarter of
 * the ring, at most 16 slots, runs stopping at the ring's end); a side with nothing to do spins
 * (1 to 50 us, adapted as it goes), then makes its `sleeps` odd and blocks on its semaphore; the
 * other side posts it once for each sleep, and only once half the ring is free (the consumer) or
 * half full (the producer, or at the end). Prints one JSON line, with the semops made. The
 * consumer times itself from message WARMUP on, as the TypeScript consumer does.
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
static uint32_t head, tail, slots, batch;
static void wake_consumer_for(volatile uint32_t *sleeps, volatile uint32_t *tail_at, struct waker *w, uint32_t enough, int now) {
    uint32_t s = __atomic_load_n(sleeps, __ATOMIC_SEQ_CST);
    if (!(s & 1) || s == w->posted) return;
    if (s != w->episode) { w->episode = s; w->slept_at = __atomic_load_n(tail_at, __ATOMIC_SEQ_CST); }
    if (now || head - w->slept_at >= enough) { w->posted = s; post(BATCHED_SEM_DATA); }
}
static int has_space(uint32_t t) { return head - t < slots; }
static int has_data(uint32_t h) { return h != tail; }
static uint32_t min_u32(uint32_t a, uint32_t b) { return a < b ? a : b; }

int main(int argc, char *argv[]) {
    if (argc < 5) { fprintf(stderr, "usage: %s MESSAGE_BYTES TOTAL_BYTES RING_BYTES WARMUP [CPU CPU]\n", argv[0]); return 2; }
    size_t msg = strtoul(argv[1], NULL, 0), total = strtoul(argv[2], NULL, 0), ring = strtoul(argv[3], NULL, 0);
    size_t warmup = strtoul(argv[4], NULL, 0);
    slots = ring / msg ? ring / msg : 1;
    batch = slots / 4 > 16 ? 16 : slots / 4 ? slots / 4 : 1; /* publishEvery in batched.ts */
    size_t count = total / msg;
    int shmid = shmget(IPC_PRIVATE, BATCHED_SEGMENT_SIZE(slots, msg), IPC_CREAT | 0600);
    if (shmid == -1) die("shmget");
    semid = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
    if (semid == -1) die("semget");
    char *seg = shmat(shmid, NULL, 0);
    if (seg == (void *) -1) die("shmat");
    struct ring_producer *prod = (struct ring_producer *) (seg + RING_PRODUCER_OFFSET);
    struct ring_consumer *cons = (struct ring_consumer *) (seg + RING_CONSUMER_OFFSET);
    struct producer_sleeps *prod_sleeps = (struct producer_sleeps *) (seg + PRODUCER_SLEEPS_OFFSET);
    struct consumer_sleeps *cons_sleeps = (struct consumer_sleeps *) (seg + CONSUMER_SLEEPS_OFFSET);
    struct batched_slot *headers = (struct batched_slot *) (seg + BATCHED_SLOTS_OFFSET);
    unsigned char *data = (unsigned char *) seg + BATCHED_DATA_OFFSET(slots);
    struct source src = source_for(msg);
    unsigned char *dst = malloc((size_t) batch * msg);
    int pipefd[2]; /* the consumer's report, back to the parent */
    if (pipe(pipefd) == -1) die("pipe");
    pid_t child = fork();
    if (child == -1) die("fork");
    if (child == 0) { /* consumer: all that is there, a run (one memcpy) at a time, each handed back at once */
        pin(argc > 6 ? argv[6] : NULL);
        uint32_t seen = 0, posted = 0;
        double t0 = now_s();
        size_t from = 0, received = 0, taken = 0; /* taken: messages, counted without wrapping */
        for (;;) {
            if (seen == tail) seen = wait_for(&prod->head, has_data, &cons_sleeps->sleeps, BATCHED_SEM_DATA);
            while (tail != seen) {
                if (taken == warmup) { t0 = now_s(); from = received; }
                /* slot m mod N, from the count that does not wrap: tail wraps at 2^32 */
                uint32_t index = (uint32_t) (taken % slots);
                uint32_t to_warm = warmup > taken && warmup - taken < batch ? (uint32_t) (warmup - taken) : batch;
                uint32_t max = min_u32(min_u32(seen - tail, slots - index), min_u32(batch, to_warm));
                uint32_t run = 0;
                size_t bytes = 0;
                int ended = 0;
                while (run < max) { /* the run: full slots, up to and with a short one */
                    struct batched_slot *h = &headers[index + run];
                    if (h->sequence != tail + run || h->length > msg) _exit(4);
                    if (h->length == 0) { ended = 1; break; }
                    run++;
                    bytes += h->length;
                    if (h->length != msg) break;
                }
                if (run) {
                    memcpy(dst, data + (size_t) index * msg, bytes);
                    keep(dst);
                    tail += run;
                    taken += run;
                    __atomic_store_n(&cons->tail, tail, __ATOMIC_SEQ_CST);
                    if (seen - tail <= slots / 2) wake_if_asleep(&prod_sleeps->sleeps, &posted, BATCHED_SEM_SPACE);
                    received += bytes;
                }
                if (ended) {
                    __atomic_store_n(&cons->tail, tail + 1, __ATOMIC_SEQ_CST);
                    struct report r = { now_s() - t0, received - from, semops };
                    send_report(pipefd[1], r);
                    _exit(0);
                }
            }
        }
    }
    pin(argc > 5 ? argv[5] : NULL); /* producer: free slots from the cached tail, runs of the source, publish, wake if asleep */
    struct waker consumer = { 0, 0, 0 };
    uint32_t half = slots / 2 ? slots / 2 : 1;
    int ended = 0;
    for (size_t i = 0; !ended;) { /* i: the next message of the source */
        if (!has_space(tail)) tail = wait_for(&cons->tail, has_space, &prod_sleeps->sleeps, BATCHED_SEM_SPACE);
        uint32_t room = min_u32(slots - (head - tail), batch);
        while (room > 0) {
            uint32_t index = (uint32_t) (i % slots); /* slot m mod N: i does not wrap, head does at 2^32 */
            if (i == count) { /* the end: a slot of length 0 */
                headers[index].sequence = head;
                headers[index].length = 0;
                head++;
                ended = 1;
                break;
            }
            /* as many messages as there is room for, up to the ring's end and the source block's */
            size_t in_block = src.chunks - i % src.chunks, left = count - i;
            uint32_t run = min_u32(min_u32(room, slots - index), (uint32_t) (in_block < left ? in_block : left));
            memcpy(data + (size_t) index * msg, source_at(&src, i), (size_t) run * msg);
            for (uint32_t k = 0; k < run; k++) { headers[index + k].sequence = head + k; headers[index + k].length = msg; }
            head += run;
            room -= run;
            i += run;
        }
        __atomic_store_n(&prod->head, head, __ATOMIC_SEQ_CST);
        wake_consumer_for(&cons_sleeps->sleeps, &cons->tail, &consumer, half, ended);
    }
    int status;
    waitpid(child, &status, 0);
    shmdt(seg); shmctl(shmid, IPC_RMID, NULL); semctl(semid, 0, IPC_RMID);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) { fprintf(stderr, "consumer failed (%d)\n", WEXITSTATUS(status)); return 1; }
    struct report r = read_report(pipefd[0]);
    printf("{\"bytes\": %zu, \"seconds\": %.6f, \"messages\": %zu, \"semops\": %zu}\n", r.bytes, r.seconds, count + 1, semops + r.semops);
    return 0;
}
