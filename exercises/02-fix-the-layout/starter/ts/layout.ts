/**
 * Exercise 2: fix the layout (TypeScript). Task: exercises/02-fix-the-layout/README.md
 *
 * struct pi_message as the lab declares it, field by field, with the offset at which a C
 * compiler puts each one (from the start of the struct) and the size of the whole struct:
 * 64 bytes, 15 of them padding. Reorder the fields so that the struct wastes as few bytes as
 * possible, then work out every offset and the size again, by hand: the check compiles your
 * order with gcc and compares. Bump the version: the layout is not the one version 1 had.
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

// TODO 1: bump it once the layout changes.
/** The layout's version: what the header's `version` says. */
export const VERSION = 1;

// TODO 2: reorder the fields to waste the fewest bytes, and work out each offset again.
export const PI_MESSAGE: readonly DeclaredField[] = [
  { name: 'intro', ctype: 'char', count: 19, offset: 0 }, //      0..18
  { name: 'numerator', ctype: 'int32_t', offset: 20 }, //          1 byte of padding before it
  { name: 'slash', ctype: 'char', offset: 24 },
  { name: 'denominator', ctype: 'int32_t', offset: 28 }, //        3 bytes of padding
  { name: 'equals', ctype: 'char', count: 3, offset: 32 },
  { name: 'value', ctype: 'double', offset: 40 }, //               5 bytes of padding
  { name: 'outro', ctype: 'char', count: 10, offset: 48 }, //      48..57, then 6 bytes of tail padding
];

// TODO 3: the size of the struct in your order, tail padding included.
/** sizeof(struct pi_message). */
export const SIZE = 64;
