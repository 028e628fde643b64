/* What the C benchmark programs share: fail loudly, one semop, pin to a CPU. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
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
#endif
