/*
 * Exercise 2: fix the layout (C), the reference solution.
 *
 * Largest alignment first: the double, the two int32_t, then the chars, which fit anywhere.
 * 49 bytes of fields, no padding between them, 7 bytes of tail padding (the size must be a
 * multiple of 8): 56, the least any order gives. Version 2: a version 1 reader would take
 * these bytes for the old layout.
 *
 * The rules (x86_64 and aarch64 alike): a field starts at a multiple of its alignment (char 1,
 * int32_t 4, double 8); the struct's size is a multiple of its largest alignment.
 */
#ifndef PI_MESSAGE_H
#define PI_MESSAGE_H

#include <stdint.h>

#define PI_MESSAGE_VERSION 2 /* what the header's version says */
#define PI_MESSAGE_SIZE 56   /* what you say sizeof(struct pi_message) is */

struct pi_message {
    double   value;           /*  0..7 */
    int32_t  numerator;       /*  8..11 */
    int32_t  denominator;     /* 12..15 */
    char     intro[19];       /* 16..34 */
    char     slash;           /* 35 */
    char     equals[3];       /* 36..38 */
    char     outro[10];       /* 39..48, then 7 bytes of tail padding */
};

#endif
