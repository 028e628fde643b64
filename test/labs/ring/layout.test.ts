/**
 * bench/c/ring-layout.h is the ring's layout written by hand for the C rings of the benchmark:
 * every struct member, offset and constant in it must be the contract's, on both architectures,
 * or the C rings would measure another ring than the lab's.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { placeStruct, type StructLayout } from '../../../src/layout/c-layout.ts';
import {
  BATCHED_SEM,
  BATCHED_SLOT,
  BATCHED_SLOTS_OFFSET,
  batchedDataOffset,
  batchedSegmentSize,
  CONSUMER_SLEEPS,
  PRODUCER_SLEEPS,
  batchedSlotOffset,
  RING_CONSUMER,
  RING_HEADER,
  RING_PRODUCER,
  RING_SEM,
  RING_SLOT,
  RING_SLOT_ALIGN,
  RING_SLOTS_OFFSET,
  ringSlotOffset,
} from '../../../src/labs/ring/contract.ts';
import { ROOT } from '../../support/cli.ts';
import { compilerFor } from '../../support/gcc-layout.ts';

function structAsserts(struct: StructLayout): string[] {
  const s = placeStruct(struct, 0);
  return [
    ...s.fields.flatMap((f) => [
      `_Static_assert(offsetof(struct ${s.name}, ${f.name}) == ${f.offset}, "${s.name}.${f.name} is not at ${f.offset}");`,
      ...(f.count === 0 ? [] : [`_Static_assert(sizeof(((struct ${s.name} *)0)->${f.name}) == ${f.size}, "${s.name}.${f.name} size");`]),
    ]),
    `_Static_assert(sizeof(struct ${s.name}) == ${s.size}, "sizeof(struct ${s.name}) is not ${s.size}");`,
  ];
}

const equal = (c: string, value: number): string => `_Static_assert(${c} == ${value}, "${c.replace(/"/g, "'")} is not ${value}");`;

describe('bench/c/ring-layout.h', () => {
  it.each(['x64', 'arm64'] as const)('is the contract, as the %s gcc compiles it', (arch) => {
    const lines = [
      '#include <stddef.h>',
      '#include "ring-layout.h"',
      ...[RING_HEADER, RING_PRODUCER, RING_CONSUMER, PRODUCER_SLEEPS, CONSUMER_SLEEPS, RING_SLOT, BATCHED_SLOT].flatMap(structAsserts),
      equal('RING_SLOTS_OFFSET', RING_SLOTS_OFFSET),
      equal('BATCHED_SLOTS_OFFSET', BATCHED_SLOTS_OFFSET),
      equal('RING_PRODUCER_OFFSET', RING_PRODUCER.offset),
      equal('RING_CONSUMER_OFFSET', RING_CONSUMER.offset),
      equal('PRODUCER_SLEEPS_OFFSET', PRODUCER_SLEEPS.offset),
      equal('CONSUMER_SLEEPS_OFFSET', CONSUMER_SLEEPS.offset),
      equal('RING_SLOT_ALIGN', RING_SLOT_ALIGN),
      equal('RING_SEM_EMPTY', RING_SEM.empty),
      equal('RING_SEM_FULL', RING_SEM.full),
      equal('BATCHED_SEM_DATA', BATCHED_SEM.data),
      equal('BATCHED_SEM_SPACE', BATCHED_SEM.space),
      // The textbook stride, for a slot size that is and one that is not a multiple of the cache line.
      ...[4096, 65536, 1000].map((size) => equal(`RING_SLOT_OFFSET(${size}, 3)`, ringSlotOffset(size, 3))),
      // The batched ring's headers, and its data after them, for slot counts that do and do not fill a cache line.
      equal('BATCHED_SLOTS_OFFSET + 3 * sizeof(struct batched_slot)', batchedSlotOffset(3)),
      ...[16, 256, 13].flatMap((slots) => [
        equal(`BATCHED_DATA_OFFSET(${slots})`, batchedDataOffset(slots)),
        equal(`BATCHED_SEGMENT_SIZE(${slots}, 1000)`, batchedSegmentSize(slots, 1000)),
      ]),
    ];
    const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-ring-layout-'));
    try {
      const src = join(dir, 'layout.c');
      writeFileSync(src, `${lines.join('\n')}\n`);
      execFileSync(compilerFor(arch), ['-std=gnu11', '-fsyntax-only', '-I', join(ROOT, 'bench', 'c'), src], { stdio: 'pipe' });
    } catch (error) {
      throw new Error(String((error as { stderr?: Buffer }).stderr ?? error));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
