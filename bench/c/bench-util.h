/* What the C benchmark programs share: fail loudly, one semop, pin to a CPU. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) { perror(what); exit(1); }

/* One semop on semaphore `num`: +1 gives, -1 takes (blocking until it can). */
static void op(int semid, int num, int delta) {
    struct sembuf sb = { (unsigned short) num, (short) delta, 0 };
    if (semop(semid, &sb, 1) == -1) die("semop");
}

/* Pin this process to CPU `cpu` (a decimal string); NULL or "-" leaves it to the scheduler. */
static void pin(const char *cpu) {
    if (!cpu || *cpu == '-') return;
    cpu_set_t set; CPU_ZERO(&set); CPU_SET(atoi(cpu), &set);
    if (sched_setaffinity(0, sizeof set, &set) == -1) die("sched_setaffinity");
}
/* What a ring producer sends, as the TypeScript producer makes it (src/labs/ring/source.ts): a
 * block of patterned bytes, max(1 MiB, one message) rounded up to whole messages, sent message by
 * message and round again: message i is the block's chunk i mod K. Both languages copy the same
 * bytes from the same spread of addresses. */
struct source { unsigned char *block; size_t chunks, msg; };
static inline struct source source_for(size_t msg) {
    size_t size = ((msg > (1u << 20) ? msg : (1u << 20)) + msg - 1) / msg * msg;
    struct source s = { malloc(size), size / msg, msg };
    if (!s.block) die("malloc");
    for (size_t i = 0; i + 4 <= size; i += 4) {
        uint32_t v = ((uint32_t) i * 2654435761u) ^ (uint32_t) (i >> 7);
        memcpy(s.block + i, &v, 4);
    }
    return s;
}
static inline const unsigned char *source_at(const struct source *s, size_t i) { return s->block + (i % s->chunks) * s->msg; }
/* What a ring's consumer reports to the parent, through a pipe: its own clock, as the TypeScript
 * consumer keeps it (from taking message WARMUP to the end), the bytes in that time, its semops. */
struct report { double seconds; size_t bytes; size_t semops; };
static inline double now_s(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static inline void send_report(int fd, struct report r) { if (write(fd, &r, sizeof r) != sizeof r) _exit(5); }
static inline struct report read_report(int fd) {
    struct report r;
    if (read(fd, &r, sizeof r) != sizeof r) die("read report");
    return r;
}

/* Tells the compiler that the bytes at p are used: a copy out that nothing reads is still made. */
static inline void keep(const void *p) { __asm__ volatile("" : : "r"(p) : "memory"); }
#endif
