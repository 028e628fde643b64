/**
 * Where the key comes from: an explicit --key, or ftok(key file, project id). ftok builds the
 * key from the file's inode and device numbers, so both sides must see the *same file*, not
 * merely a file with the same name: a copy in each container has its own inode and device.
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { hexKey } from '../../sysv/ipc-format.ts';
import { ftok } from '../../sysv/shm.ts';
import type { Narrator } from '../../text/narrate.ts';

/** Which key: an explicit one (--key), or ftok(key file, project id). */
export interface KeyChoice {
  /** An explicit key, or undefined to make one with ftok(keyFile, projectId). */
  readonly key: number | undefined;
  readonly keyFile: string;
  readonly projectId: number;
}

const KEY_FILE_TEXT = "ipc-lab: ftok(3) makes the System V key from this file's inode and device numbers. Its content does not matter.\n";

/** Creates the key file if it is missing (the server's job); true when it was created. */
export function ensureKeyFile(path: string): boolean {
  mkdirSync(dirname(path), { recursive: true });
  try {
    writeFileSync(path, KEY_FILE_TEXT, { flag: 'wx', mode: 0o644 });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

export function resolveKey(choice: KeyChoice, say?: Narrator): number {
  if (choice.key !== undefined) {
    say?.note(`using the explicit key ${hexKey(choice.key)} (no ftok)`);
    return choice.key;
  }
  const key = ftok(choice.keyFile, choice.projectId);
  if (say) {
    const st = statSync(choice.keyFile);
    const proj = choice.projectId & 0xff;
    say.call('ftok', `${JSON.stringify(choice.keyFile)}, 0x${proj.toString(16)}`, hexKey(key));
    const hex = (n: number, digits: number): string => `0x${n.toString(16).padStart(digits, '0')}`;
    say.note(
      `${hexKey(key)} = proj_id ${hex(proj, 2)} | st_dev ${hex(st.dev, 1)} & 0xff = ${hex(st.dev & 0xff, 2)} | st_ino ${st.ino} & 0xffff ` +
        `= ${hex(st.ino & 0xffff, 4)}`,
    );
  }
  return key;
}
