/* The ceiling: single-thread memcpy bandwidth for one message size, buffers as large as the
 * ring (so they stay in cache as the ring does). Prints one JSON line.
 * Usage: memcpy MESSAGE_BYTES TOTAL_BYTES RING_BYTES */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char *argv[]) {
    if (argc < 4) { fprintf(stderr, "usage: %s MESSAGE_BYTES TOTAL_BYTES RING_BYTES\n", argv[0]); return 2; }
    size_t msg = strtoul(argv[1], NULL, 0), total = strtoul(argv[2], NULL, 0), ring = strtoul(argv[3], NULL, 0);
    size_t slots = ring / msg ? ring / msg : 1, count = total / msg;
    char *src = malloc(msg), *dst = malloc(slots * msg);
    memset(src, 0x5a, msg); memset(dst, 0, slots * msg);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (size_t i = 0; i < count; i++) { memcpy(dst + (i % slots) * msg, src, msg); __asm__ volatile("" ::: "memory"); }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("{\"bytes\": %zu, \"seconds\": %.6f, \"check\": %d}\n", count * msg, s, dst[msg - 1]);
    return 0;
}
