/**
 * Exercise 2's server and client (TypeScript): the PI message written and read at the offsets
 * of the student's layout.ts, under exercise 2's key. Not for editing: the exercise is the
 * layout; this only shows that both sides still talk once it changes.
 *
 *   node --import tsx talk.ts server path/to/layout.ts     waits for SIGTERM, then removes the segment
 *   node --import tsx talk.ts client path/to/layout.ts     prints the message, or why it will not
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { watchShutdown } from '#lab/core/signals.ts';
import { HEADER, MAGIC, State, THE_MESSAGE } from '#lab/labs/message/contract.ts';
import { attach, ftok, getSegment, IPC_CREAT, IPC_EXCL, remove } from '#lab/sysv/shm.ts';
import { formatG } from '#lab/text/numbers.ts';
import type { DeclaredField } from '../starter/ts/layout.ts';

const PROJECT_ID = 0x32; // exercise 2's key: ftok(the lab's key file, '2')
const [role, layoutPath] = process.argv.slice(2);
const layout = (await import(pathToFileURL(resolve(layoutPath ?? 'layout.ts')).href)) as {
  VERSION: number;
  SIZE: number;
  PI_MESSAGE: readonly DeclaredField[];
};
const at = (name: string): number => {
  const field = layout.PI_MESSAGE.find((f) => f.name === name);
  if (!field) throw new Error(`layout.ts has no field ${name}`);
  return HEADER.size + field.offset;
};
const header = Object.fromEntries(HEADER.fields.map((f) => [f.name, f.offset]));
const key = ftok(process.env.IPC_LAB_KEY_FILE ?? '/var/lib/ipc-lab/ftok.key', PROJECT_ID);

if (role === 'server') {
  const shmid = getSegment(key, 1024, IPC_CREAT | IPC_EXCL | 0o600);
  const segment = attach(shmid);
  const v = segment.view;
  const text = (name: string, value: string): void => v.write(at(name), Buffer.from(`${value}\0`, 'latin1'));
  v.write(header.magic!, Buffer.from(MAGIC, 'latin1'));
  v.setUint16(header.version!, layout.VERSION);
  v.setUint16(header.header_size!, HEADER.size);
  v.setUint32(header.payload_size!, layout.SIZE);
  text('intro', THE_MESSAGE.intro);
  v.setInt32(at('numerator'), THE_MESSAGE.numerator);
  v.setUint8(at('slash'), THE_MESSAGE.slash.charCodeAt(0));
  v.setInt32(at('denominator'), THE_MESSAGE.denominator);
  text('equals', THE_MESSAGE.equals);
  v.setFloat64(at('value'), THE_MESSAGE.value);
  text('outro', THE_MESSAGE.outro);
  v.atomicStore32(header.state!, State.ready);
  console.log(`server: version ${layout.VERSION}, ${layout.SIZE} bytes of message; waiting for SIGTERM`);
  const shutdown = watchShutdown({ keepAlive: true });
  await shutdown.stopped;
  shutdown.dispose();
  segment.detach();
  remove(shmid);
} else {
  const segment = attach(getSegment(key, 0, 0), { readOnly: true });
  const v = segment.view;
  const text = (name: string): string => {
    const bytes = v.read(at(name), layout.PI_MESSAGE.find((f) => f.name === name)?.count ?? 1);
    const end = bytes.indexOf(0);
    return Buffer.from(end === -1 ? bytes : bytes.subarray(0, end)).toString('latin1');
  };
  const version = v.getUint16(header.version!);
  const size = v.getUint32(header.payload_size!);
  if (version !== layout.VERSION || size !== layout.SIZE) {
    console.error(
      `client: the segment has layout version ${version} (${size} bytes); this client reads version ${layout.VERSION} (${layout.SIZE} bytes)`,
    );
    process.exitCode = 4;
  } else {
    const numerator = v.getInt32(at('numerator'));
    const denominator = v.getInt32(at('denominator'));
    const slash = String.fromCharCode(v.getUint8(at('slash')));
    console.log(`${text('intro')}${numerator}${slash}${denominator}${text('equals')}${formatG(v.getFloat64(at('value')))}${text('outro')}`);
  }
  segment.detach();
}
