/*
 * Exercise 2: fix the layout (C). Task: exercises/02-fix-the-layout/README.md
 *
 * struct pi_message as the lab declares it: 64 bytes, 15 of them padding. Reorder the fields
 * so that the struct wastes as few bytes as possible, say what sizeof is now, and bump the
 * version: the layout is not the one version 1 had. The check compiles a server and a client
 * against this header (exercises/02-fix-the-layout/talk/) and wants them to still talk.
 *
 * The rules (x86_64 and aarch64 alike): a field starts at a multiple of its alignment (char 1,
 * int32_t 4, double 8); the struct's size is a multiple of its largest alignment.
 */
#ifndef PI_MESSAGE_H
#define PI_MESSAGE_H

#include <stdint.h>

/* TODO 1: bump the version once the layout changes; TODO 3: say the new size. */
#define PI_MESSAGE_VERSION 1 /* what the header's version says */
#define PI_MESSAGE_SIZE 64   /* what you say sizeof(struct pi_message) is */

/* TODO 2: reorder the fields to waste the fewest bytes. */
struct pi_message {
    char     intro[19];       /*  0..18 */
    int32_t  numerator;       /* 20: 1 byte of padding before it */
    char     slash;           /* 24 */
    int32_t  denominator;     /* 28: 3 bytes of padding */
    char     equals[3];       /* 32..34 */
    double   value;           /* 40: 5 bytes of padding */
    char     outro[10];       /* 48..57, then 6 bytes of tail padding */
};

#endif
