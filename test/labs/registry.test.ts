/**
 * The registry: every lab's structs as gcc lays them out, on both architectures; and a lab added
 * to it is served by the tools that serve every lab, with nothing of it hard-coded anywhere.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cDeclaration, layoutStruct, placeStruct, type StructLayout } from '../../src/layout/c-layout.ts';
import { allLabs, registerLab, type Lab } from '../../src/labs/registry.ts';
import type { Arch } from '../../src/libc/arch.ts';
import { attach, ftok, getSegment, IPC_CREAT, IPC_EXCL, remove } from '../../src/sysv/shm.ts';
import { narrator } from '../../src/text/narrate.ts';
import { runClean } from '../../src/tools/clean.ts';
import { runInspect } from '../../src/tools/inspect.ts';
import { compilerFor } from '../support/gcc-layout.ts';

/** `_Static_assert`s of every field's offset and size, the struct's size and alignment. */
function assertions(struct: StructLayout): string {
  const s = placeStruct(struct, 0);
  const lines = s.fields.flatMap((f) => [
    `_Static_assert(offsetof(struct ${s.name}, ${f.name}) == ${f.offset}, "${s.name}.${f.name} is not at ${f.offset}");`,
    // a flexible array member (count 0) has no size of its own
    ...(f.count === 0
      ? []
      : [`_Static_assert(sizeof(((struct ${s.name} *)0)->${f.name}) == ${f.size}, "${s.name}.${f.name} is not ${f.size} bytes");`]),
  ]);
  return [
    ...lines,
    `_Static_assert(sizeof(struct ${s.name}) == ${s.size}, "sizeof(struct ${s.name}) is not ${s.size}");`,
    `_Static_assert(_Alignof(struct ${s.name}) == ${s.align}, "struct ${s.name} is not ${s.align}-aligned");`,
  ].join('\n');
}

function gccAgrees(arch: Arch, structs: readonly StructLayout[]): void {
  const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-registry-'));
  try {
    const src = join(dir, 'labs.c');
    writeFileSync(
      src,
      ['#include <stddef.h>', '#include <stdint.h>', ...structs.flatMap((s) => [cDeclaration(s), assertions(s)])].join('\n\n'),
    );
    execFileSync(compilerFor(arch), ['-std=c11', '-fsyntax-only', src], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(String((error as { stderr?: Buffer }).stderr ?? error));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the labs in the registry', () => {
  it('are the message, race, both ring, queue and POSIX labs, each with its own project id; each segment lab with its own magic', () => {
    const labs = allLabs();
    expect(labs.map((l) => l.name)).toEqual(['message', 'race', 'ring', 'ring-batched', 'queue', 'posix']);
    expect(new Set(labs.map((l) => l.projectId)).size).toBe(labs.length);
    const segmentLabs = labs.filter((l) => (l.kind ?? 'segment') === 'segment');
    expect(segmentLabs.map((l) => l.name)).toEqual(['message', 'race', 'ring', 'ring-batched']);
    expect(new Set(segmentLabs.map((l) => l.magic)).size).toBe(segmentLabs.length);
    expect(segmentLabs.every((l) => l.magic.length === 4)).toBe(true);
    // A queue has no segment; the POSIX object holds the message lab's bytes, magic and all.
    expect(labs.filter((l) => l.kind !== undefined && l.kind !== 'segment').map((l) => [l.name, l.magic])).toEqual([
      ['queue', ''],
      ['posix', ''],
    ]);
    expect(labs.find((l) => l.name === 'posix')?.namePrefix).toBe('/ipc-lab-');
  });

  it.each(allLabs().map((lab) => [lab.name, lab] as const))(
    '%s: every struct is laid out as gcc lays it out, on x86_64 and aarch64',
    (_name, lab) => {
      for (const arch of ['x64', 'arm64'] as const) gccAgrees(arch, lab.structs);
    },
  );
});

describe('a lab added to the registry', () => {
  const FAKE_STRUCT = layoutStruct('fake_record', 0, [
    { name: 'magic', ctype: 'char', count: 4 },
    { name: 'flag', ctype: 'char' },
    { name: 'count', ctype: 'uint64_t' },
  ]);
  const FAKE: Lab = {
    name: 'fake',
    summary: 'a lab the test made up',
    projectId: 0x46,
    magic: 'IPCF',
    semaphores: [],
    structs: [FAKE_STRUCT],
    layout: () => [FAKE_STRUCT],
  };
  let cleanup: Array<() => void> = [];

  afterEach(() => {
    for (const undo of cleanup.reverse()) undo();
    cleanup = [];
  });

  /** A fake lab's segment under its key, as a program of that lab would leave it. */
  function fakeSegment(): { keyFile: string; shmid: number } {
    cleanup.push(registerLab(FAKE));
    const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-fake-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const keyFile = join(dir, 'key');
    writeFileSync(keyFile, 'fake');
    const shmid = getSegment(ftok(keyFile, FAKE.projectId), 64, IPC_CREAT | IPC_EXCL | 0o600);
    cleanup.push(() => {
      try {
        remove(shmid);
      } catch {
        // clean removed it: what the test wants
      }
    });
    const a = attach(shmid);
    a.view.write(0, Buffer.from('IPCFy', 'latin1'));
    a.view.setBigUint64(8, 42n);
    a.detach();
    return { keyFile, shmid };
  }

  it('is inspected: found by its project id, drawn with its own struct', async () => {
    const { keyFile, shmid } = fakeSegment();
    const out: string[] = [];
    const code = await runInspect(
      {
        lab: FAKE,
        keyFile,
        projectId: FAKE.projectId,
        key: undefined,
        shmid: undefined,
        json: true,
        watch: false,
        interval: 0.1,
        timeout: 0,
      },
      narrator((l) => out.push(l)),
    );
    expect(code).toBe(0);
    const report = JSON.parse(out.join('\n')) as {
      shmid: number;
      lab: string;
      valid: boolean;
      regions: Array<{ field: string | null; offset: number; value: unknown }>;
    };
    expect(report).toMatchObject({ shmid, lab: 'fake', valid: true });
    expect(report.regions.filter((r) => r.field).map((r) => [r.field, r.offset, r.value])).toEqual([
      ['magic', 0, 'IPCF'],
      ['flag', 4, 'y'],
      ['count', 8, 42],
    ]);
  });

  it('is cleaned: its leftover segment is found under its key, recognised by its magic, removed', async () => {
    const { keyFile, shmid } = fakeSegment();
    const out: string[] = [];
    expect(
      await runClean(
        { keyFile, key: undefined, force: false, dryRun: false },
        narrator((l) => out.push(l)),
      ),
    ).toBe(0);
    expect(out.join('\n')).toMatch(
      new RegExp(`removed segment ${shmid} \\(fake, key 0x46[0-9a-f]{6}, magic "IPCF", created by pid \\d+ .* ago, 0 attached\\)`),
    );
    expect(() => attach(shmid)).toThrow(/EINVAL|EIDRM/);
  });
});
