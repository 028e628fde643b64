// The C track's header, exercises/include/ipc-lab.h, against the TypeScript contracts: every
// struct of every lab, every field's offset and size and each struct's size, as gcc sees them on
// x86_64 and on aarch64 (the cross compiler), checked at compile time (_Static_assert). A
// drifted header fails here, not in a student's exercise.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StructLayout } from '../../src/layout/c-layout.ts';
import { MESSAGE_LAB } from '../../src/labs/message/contract.ts';
import { RACE_LAB } from '../../src/labs/race/contract.ts';
import { BATCHED_RING_LAB, RING_HEADER, RING_SLOT, RING_SLOTS_OFFSET } from '../../src/labs/ring/contract.ts';
import { typedCommands, typesObject } from '../../src/tools/gdb.ts';
import { ROOT } from '../support/cli.ts';
import { compilerFor } from '../support/gcc-layout.ts';

const HEADER = join(ROOT, 'exercises', 'include', 'ipc-lab.h');
const STRUCTS: readonly StructLayout[] = [...MESSAGE_LAB.structs, ...RACE_LAB.structs, RING_HEADER, RING_SLOT];

/** The asserts for one struct: its fields' offsets from the struct's start, their sizes, its size. */
function asserts(struct: StructLayout): string[] {
  const lines = struct.fields.flatMap((f) => {
    const at = `offsetof(struct ${struct.name}, ${f.name}) == ${f.offset - struct.offset}`;
    const offset = `_Static_assert(${at}, "${struct.name}.${f.name} is not at ${f.offset - struct.offset}");`;
    // A flexible array member (ring_slot.data) has no size of its own.
    if (f.count === 0) return [offset];
    return [
      offset,
      `_Static_assert(sizeof(((struct ${struct.name} *) 0)->${f.name}) == ${f.size}, "${struct.name}.${f.name} is not ${f.size} bytes");`,
    ];
  });
  return [
    ...lines,
    `_Static_assert(sizeof(struct ${struct.name}) == ${struct.size}, "sizeof(struct ${struct.name}) is not ${struct.size}");`,
  ];
}

function compile(arch: 'x64' | 'arm64', source: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-header-'));
  try {
    const file = join(dir, 'header.c');
    writeFileSync(file, source);
    execFileSync(compilerFor(arch), ['-std=c11', '-Wall', '-Werror', '-fsyntax-only', `-I${join(ROOT, 'exercises', 'include')}`, file], {
      stdio: 'pipe',
    });
  } catch (error) {
    throw new Error(String((error as { stderr?: Buffer }).stderr ?? error));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.each(['x64', 'arm64'] as const)('exercises/include/ipc-lab.h on %s', (arch) => {
  it('declares every struct of the contracts with their offsets and sizes', () => {
    const source = ['#include <stddef.h>', '#include "ipc-lab.h"', ...STRUCTS.flatMap(asserts)].join('\n');
    expect(() => compile(arch, `${source}\n`)).not.toThrow();
  });

  it('places the message right after the header, and the ring slots where the contract does', () => {
    const source = [
      '#include <stddef.h>',
      '#include "ipc-lab.h"',
      `_Static_assert(offsetof(struct lab_segment, message) == ${MESSAGE_LAB.structs[1]!.offset}, "message");`,
      `_Static_assert(sizeof(struct ring_header) <= ${RING_SLOTS_OFFSET}, "the ring header fits before the slots");`,
      '_Static_assert(sizeof(union semun) == 8, "union semun is a pointer wide");',
    ].join('\n');
    expect(() => compile(arch, `${source}\n`)).not.toThrow();
  });

  it('gives the constants the contracts give', () => {
    const source = [
      '#include "ipc-lab.h"',
      `_Static_assert(IPC_LAB_MESSAGE_PROJECT_ID == ${MESSAGE_LAB.projectId}, "message project id");`,
      `_Static_assert(IPC_LAB_RACE_PROJECT_ID == ${RACE_LAB.projectId}, "race project id");`,
      `_Static_assert(IPC_LAB_RING_PROJECT_ID == 0x42, "ring project id");`,
      `_Static_assert(IPC_LAB_RING_SLOTS_OFFSET == ${RING_SLOTS_OFFSET}, "ring slots offset");`,
      `_Static_assert(sizeof(IPC_LAB_MESSAGE_MAGIC) == 5 && sizeof(IPC_LAB_RACE_MAGIC) == 5, "magics are four characters");`,
    ].join('\n');
    expect(() => compile(arch, `${source}\n`)).not.toThrow();
    expect(MESSAGE_LAB.magic).toBe('IPCL');
    expect(RACE_LAB.magic).toBe('IPCR');
  });
});

describe('the header as gdb types (make gdb)', () => {
  it("compiles into an object that holds the structs, and gdb is told to print each of the lab's by name", () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-types-'));
    try {
      const types = typesObject(HEADER, dir);
      expect(types.object, types.why).toBeDefined();
      const names = execFileSync('gdb', ['-batch', '-nx', '-ex', `add-symbol-file ${types.object}`, '-ex', 'ptype struct pi_message'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(names).toMatch(/int32_t numerator;/);
      expect(names).toMatch(/double value;/);
      expect(types.structs).toEqual(['lab_header', 'pi_message', 'lab_segment', 'race_record', 'race_reader', 'ring_header', 'ring_slot']);
      // The batched ring's words are not in the header, and a slot has no fixed place: its header only.
      expect(typedCommands(BATCHED_RING_LAB, '0x7f0000000000', types.object!, types.structs!).filter((c) => c.startsWith('print'))).toEqual(
        ['print *(struct ring_header *) (0x7f0000000000+0)'],
      );
      expect(typedCommands(MESSAGE_LAB, '0x7f0000000000', types.object!, types.structs!)).toEqual([
        `add-symbol-file ${types.object}`,
        'set print pretty on',
        expect.stringContaining('by name'),
        'print *(struct lab_header *) (0x7f0000000000+0)',
        'print *(struct pi_message *) (0x7f0000000000+16)',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says why it prints bytes only where the header is missing', () => {
    expect(typesObject(undefined).why).toMatch(/IPC_LAB_C_HEADER is unset/);
    expect(typesObject('/nonexistent/ipc-lab.h').why).toMatch(/no \/nonexistent\/ipc-lab.h/);
  });
});
