/**
 * Exercise 2, fix the layout: reorder struct pi_message so that it wastes the fewest bytes.
 *
 * TypeScript track: the student declares each field's offset and the size by hand (layout.ts);
 * the check compiles that order with gcc and compares every number. C track: the student
 * reorders the struct in pi_message.h and says its size. Both: sizeof must be 56 (49 bytes of
 * fields rounded up to the double's 8), the version bumped, and a server and a client built on
 * the new layout (exercises/02-fix-the-layout/talk/) still talking.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { waitFor } from '../../src/core/wait.ts';
import { STATE_OFFSET } from '../../src/labs/message/codec.ts';
import { PI_MESSAGE, State, VERSION } from '../../src/labs/message/contract.ts';
import { attach, ftok } from '../../src/sysv/shm.ts';
import { type Criterion, type Exercise, fail, pass, ROOT } from '../../src/exercises/model.ts';
import { removeLeftovers, segmentWithKey } from '../../src/exercises/objects.ts';
import { howItEnded, lastLines, type ProbeContext, type Program } from '../../src/exercises/probe.ts';

/** A field of the student's layout.ts (its own type, DeclaredField, says the same). */
interface DeclaredField {
  readonly name: string;
  readonly ctype: string;
  readonly count?: number;
  readonly offset: number;
}

const PROJECT_ID = 0x32;
const LEAST = 56;
const TALK = resolve(ROOT, 'exercises/02-fix-the-layout/talk');
const key = (): number => ftok(process.env.IPC_LAB_KEY_FILE ?? '/var/lib/ipc-lab/ftok.key', PROJECT_ID);

/** What gcc says of a struct: its size and each field's offset. */
interface GccLayout {
  readonly size: number;
  readonly offsets: Record<string, number>;
  readonly sizes: Record<string, number>;
  readonly defines: Record<string, number>;
}

/** Compile and run a program that prints sizeof and every offsetof (and the header's defines, for C). */
function gccLayout(context: ProbeContext, declaration: string, defines: readonly string[]): Promise<GccLayout> {
  const fields = PI_MESSAGE.fields.map((f) => f.name);
  const source = [
    '#include <stddef.h>',
    '#include <stdint.h>',
    '#include <stdio.h>',
    declaration,
    'int main(void) {',
    '    printf("size %zu\\n", sizeof(struct pi_message));',
    ...fields.map((f) => `    printf("offset ${f} %zu\\n", offsetof(struct pi_message, ${f}));`),
    ...fields.map((f) => `    printf("sizeof ${f} %zu\\n", sizeof(((struct pi_message *) 0)->${f}));`),
    ...defines.map((d) => `    printf("define ${d} %ld\\n", (long) (${d}));`),
    '    return 0;',
    '}',
  ].join('\n');
  const file = join(context.tmp, 'layout-probe.c');
  writeFileSync(file, `${source}\n`);
  const program = context.compile(file);
  return context.run(program).then((ran) => {
    const layout: GccLayout = { size: 0, offsets: {}, sizes: {}, defines: {} };
    for (const line of ran.stdout.split('\n')) {
      const [what, name, value] = line.split(' ');
      if (what === 'size') (layout as { size: number }).size = Number(name);
      else if (what === 'offset') layout.offsets[name!] = Number(value);
      else if (what === 'sizeof') layout.sizes[name!] = Number(value);
      else if (what === 'define') layout.defines[name!] = Number(value);
    }
    return layout;
  });
}

const padding = (size: number): number => size - PI_MESSAGE.fields.reduce((sum, f) => sum + f.size, 0);

function sizeCriteria(gccSize: number, version: number): Criterion[] {
  return [
    gccSize === LEAST
      ? pass(
          `sizeof(struct pi_message) is ${LEAST}, the least`,
          `gcc says ${gccSize}: ${padding(gccSize)} bytes of padding, all at the end`,
        )
      : fail(
          `sizeof(struct pi_message) is ${LEAST}, the least`,
          `gcc says ${gccSize}: ${padding(gccSize)} bytes of padding. The fields need 49 bytes and the struct's size is a multiple of ` +
            `its largest alignment (8, the double's), so ${LEAST} is the least: put the fields that need the most alignment first`,
        ),
    version > VERSION
      ? pass(
          'the version is bumped',
          `version ${version}: a reader built for version ${VERSION} refuses the new layout instead of misreading it`,
        )
      : fail(
          'the version is bumped',
          `the version is still ${version}: the lab's version ${VERSION} readers would take your bytes for the old layout. ` +
            'A reorder of the same size passes every size check: only the version says the layout changed',
        ),
  ];
}

/** The server and the client on the new layout: started, read, stopped. */
async function talk(context: ProbeContext, server: Program, client: Program, args: readonly string[]): Promise<Criterion> {
  const name = 'the server and the client still talk';
  removeLeftovers(key());
  const running = context.start(server, args);
  try {
    const ready = await waitFor(
      () => {
        if (running.exited) return false;
        const segment = segmentWithKey(key());
        if (!segment) return undefined;
        const view = attach(segment.shmid, { readOnly: true });
        const state = view.view.getUint32(STATE_OFFSET);
        view.detach();
        return state === State.ready ? true : undefined;
      },
      { deadline: Date.now() + 15_000, every: 50 },
    );
    if ('timedOut' in ready || !ready.value) {
      const ran = running.exited ? await running.done : await running.stop();
      return fail(name, `the server made no ready segment: it ${howItEnded(ran)}; ${lastLines(ran)}`);
    }
    const read = await context.run(client, args);
    const lines = read.stdout.split('\n').map((l) => l.trim());
    if (read.code === 0 && lines.includes('PI is defined as: 22/7==3.14286') && lines.includes('goodbye')) {
      return pass(name, 'the client printed "PI is defined as: 22/7==3.14286" and "goodbye"');
    }
    return fail(name, `the client ${howItEnded(read)}; ${lastLines(read)}\nwanted "PI is defined as: 22/7==3.14286" and "goodbye"`);
  } finally {
    await running.stop();
    removeLeftovers(key());
  }
}

async function layoutTs(context: ProbeContext): Promise<Criterion[]> {
  const file = join(context.dir, 'layout.ts');
  let layout: { VERSION: number; SIZE: number; PI_MESSAGE: readonly DeclaredField[] };
  try {
    layout = await import(pathToFileURL(file).href);
  } catch (error) {
    return [fail('layout.ts loads', `it does not: ${error instanceof Error ? error.message : String(error)}`)];
  }
  const criteria: Criterion[] = [];
  const want = PI_MESSAGE.fields.map((f) => `${f.ctype} ${f.name}${f.count ? `[${f.count}]` : ''}`).sort();
  const got = layout.PI_MESSAGE.map((f) => `${f.ctype} ${f.name}${f.count ? `[${f.count}]` : ''}`);
  if (JSON.stringify([...got].sort()) !== JSON.stringify(want)) {
    return [fail('the same seven fields (any order)', `wanted each of ${want.join(', ')} once; layout.ts has ${got.join(', ')}`)];
  }
  criteria.push(pass('the same seven fields (any order)', `in the order ${layout.PI_MESSAGE.map((f) => f.name).join(', ')}`));

  const declaration = `struct pi_message {\n${layout.PI_MESSAGE.map((f) => `    ${f.ctype} ${f.name}${f.count ? `[${f.count}]` : ''};`).join('\n')}\n};`;
  const gcc = await gccLayout(context, declaration, []);
  const wrong = layout.PI_MESSAGE.filter((f) => gcc.offsets[f.name] !== f.offset).map(
    (f) => `you say ${f.name} is at ${f.offset}, gcc puts it at ${gcc.offsets[f.name]}`,
  );
  if (layout.SIZE !== gcc.size) {
    wrong.push(
      `you say sizeof is ${layout.SIZE}, gcc says ${gcc.size}${layout.SIZE < gcc.size ? ' (the tail padding: the size is a multiple of the largest alignment, so that in an array each element stays aligned)' : ''}`,
    );
  }
  criteria.push(
    wrong.length === 0
      ? pass(
          'gcc agrees with every offset and the size',
          `gcc -O2 on this machine (${process.arch}): every offset and sizeof ${gcc.size} as you say`,
        )
      : fail(
          'gcc agrees with every offset and the size',
          `${wrong.join('\n')}\n(a field starts at a multiple of its alignment: char 1, int32_t 4, double 8)`,
        ),
  );
  criteria.push(...sizeCriteria(gcc.size, layout.VERSION));
  if (wrong.length > 0) {
    criteria.push(fail('the server and the client still talk', 'not tried: the offsets must be the ones gcc gives first'));
    return criteria;
  }
  const talkProgram = context.typescript(join(TALK, 'talk.ts'));
  const withRole = (role: string): Program => ({ ...talkProgram, args: [...talkProgram.args, role] });
  criteria.push(await talk(context, withRole('server'), withRole('client'), [file]));
  return criteria;
}

async function layoutC(context: ProbeContext): Promise<Criterion[]> {
  const criteria: Criterion[] = [];
  let gcc: GccLayout;
  try {
    gcc = await gccLayout(context, '#include "pi_message.h"', ['PI_MESSAGE_SIZE', 'PI_MESSAGE_VERSION']);
  } catch (error) {
    return [fail('the same seven fields (any order)', error instanceof Error ? error.message : String(error))];
  }
  const changed = PI_MESSAGE.fields
    .filter((f) => gcc.sizes[f.name] !== f.size)
    .map((f) => `${f.name} is ${gcc.sizes[f.name]} bytes, was ${f.size}`);
  if (changed.length > 0) return [fail('the same seven fields (any order)', `reorder them, change nothing else: ${changed.join(', ')}`)];
  const order = PI_MESSAGE.fields.map((f) => f.name).sort((a, b) => gcc.offsets[a]! - gcc.offsets[b]!);
  criteria.push(pass('the same seven fields (any order)', `in the order ${order.join(', ')}`));
  const said = gcc.defines.PI_MESSAGE_SIZE!;
  criteria.push(
    said === gcc.size
      ? pass('gcc agrees with PI_MESSAGE_SIZE', `sizeof(struct pi_message) is ${gcc.size}, as PI_MESSAGE_SIZE says`)
      : fail('gcc agrees with PI_MESSAGE_SIZE', `PI_MESSAGE_SIZE says ${said}, gcc says sizeof(struct pi_message) is ${gcc.size}`),
  );
  criteria.push(...sizeCriteria(gcc.size, gcc.defines.PI_MESSAGE_VERSION!));
  criteria.push(await talk(context, context.compile(join(TALK, 'server.c')), context.compile(join(TALK, 'client.c')), []));
  return criteria;
}

export const exercise: Exercise = {
  number: 2,
  slug: 'fix-the-layout',
  title: 'Fix the layout',
  handout: '03-layout-and-alignment.md',
  tracks: { ts: ['layout.ts'], c: ['pi_message.h'] },
  check: (bench, request) => bench.probe(exercise, 'layout', request),
  probes: { layout: (context) => (context.track === 'ts' ? layoutTs(context) : layoutC(context)) },
};
