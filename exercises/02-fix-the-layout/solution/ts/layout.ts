/**
 * Exercise 2: fix the layout (TypeScript), the reference solution.
 *
 * Largest alignment first: the double, then the two int32_t, then the chars, which fit
 * anywhere. 49 bytes of fields, no padding between them, 7 bytes of tail padding to make the
 * size a multiple of 8: 56, the least any order can give. Version 2, because a version 1
 * reader would take these bytes for the old layout.
 *
 * The rules (x86_64 and aarch64 alike): a field starts at a multiple of its alignment (char 1,
 * int32_t 4, double 8); the struct's size is a multiple of its largest alignment.
 */
import type { CType } from '#lab/layout/c-layout.ts';

export interface DeclaredField {
  readonly name: string;
  readonly ctype: CType;
  /** An array's length (char intro[19]); absent for a single value. */
  readonly count?: number;
  /** Where it starts, in bytes from the start of the struct. */
  readonly offset: number;
}

/** The layout's version: what the header's `version` says. */
export const VERSION = 2;

export const PI_MESSAGE: readonly DeclaredField[] = [
  { name: 'value', ctype: 'double', offset: 0 }, //                0..7
  { name: 'numerator', ctype: 'int32_t', offset: 8 }, //           8..11
  { name: 'denominator', ctype: 'int32_t', offset: 12 }, //        12..15
  { name: 'intro', ctype: 'char', count: 19, offset: 16 }, //      16..34
  { name: 'slash', ctype: 'char', offset: 35 },
  { name: 'equals', ctype: 'char', count: 3, offset: 36 }, //      36..38
  { name: 'outro', ctype: 'char', count: 10, offset: 39 }, //      39..48, then 7 bytes of tail padding
];

/** sizeof(struct pi_message). */
export const SIZE = 56;
