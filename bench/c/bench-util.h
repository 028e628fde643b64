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
/* What a ring producer sends, as the TypeScript producer makes it (src/labs/ring/ring.ts): a block
 * of max(1 MiB, 2 messages) of patterned bytes, message i taken from offset (i * 4099) mod
 * (block - message), so both languages copy the same bytes from the same spread of addresses. */
struct source { unsigned char *block; size_t size, msg; };
static inline struct source source_for(size_t msg) {
    struct source s = { NULL, msg * 2 > (1u << 20) ? msg * 2 : (1u << 20), msg };
    s.block = malloc(s.size);
    if (!s.block) die("malloc");
    for (size_t i = 0; i + 4 <= s.size; i += 4) {
        uint32_t v = ((uint32_t) i * 2654435761u) ^ (uint32_t) (i >> 7);
        memcpy(s.block + i, &v, 4);
    }
    return s;
}
static inline const unsigned char *source_at(const struct source *s, size_t i) { return s->block + (i * 4099) % (s->size - s->msg); }
/* Tells the compiler that the bytes at p are used: a copy out that nothing reads is still made. */
static inline void keep(const void *p) { __asm__ volatile("" : : "r"(p) : "memory"); }
#endif
