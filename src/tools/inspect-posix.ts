/**
 * ipc-lab inspect --lab posix: look at the POSIX lab's object without changing it. It is a file:
 * its listing (mode, owner, size, when it last changed), the processes that map it (from
 * /proc/PID/maps, as far as this process sees them), then the same annotated memory map as a
 * System V segment's, since it holds the same bytes.
 *
 *   $ ipc-lab inspect --lab posix        (in the server's container; make inspect runs it there)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { WaitTimeoutError } from '../core/errors.ts';
import { waitFor } from '../core/wait.ts';
import type { Lab } from '../labs/registry.ts';
import { verdictOf } from '../labs/registry.ts';
import { EmptyObjectError, open, SHM_DIR, type Mapping } from '../posix/shm.ts';
import { isErrno } from '../sysv/errors.ts';
import { hexAddress, rwx } from '../sysv/ipc-format.ts';
import type { Narrator } from '../text/narrate.ts';
import { colorEnabled } from '../text/style.ts';
import { labOf, renderLegend, renderMap } from './memory-map.ts';

export interface InspectPosixOptions {
  readonly lab: Lab;
  /** The object's name ("/ipc-lab-message"). */
  readonly name: string;
  readonly timeout: number;
}

/** The pids (visible from here) that map `file`, with their names. */
function mappedBy(file: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      if (!readFileSync(`/proc/${pid}/maps`, 'utf8').includes(file)) continue;
      found.push(`${pid} (${readFileSync(`/proc/${pid}/comm`, 'utf8').trim()})`);
    } catch {
      // gone meanwhile, or another user's
    }
  }
  return found;
}

export async function runInspectPosix(options: InspectPosixOptions, say: Narrator): Promise<number> {
  const file = `${SHM_DIR}${options.name}`;
  const found = await waitFor(
    () => {
      try {
        return open(options.name, { readOnly: true });
      } catch (error) {
        if (isErrno(error, 'ENOENT') || error instanceof EmptyObjectError) return undefined;
        throw error;
      }
    },
    { deadline: Date.now() + options.timeout * 1000, every: 50 },
  );
  if (!('value' in found))
    throw new WaitTimeoutError(
      `no ${file} here (shm_open: ENOENT): the POSIX lab's server makes it (make posix) and unlinks it when it stops; ` +
        'look from a container that shares its /dev/shm (make inspect looks inside posix-server)',
    );
  const mapping: Mapping = found.value;
  try {
    const st = statSync(file);
    say.step(`POSIX object ${file}: ${options.lab.summary}`);
    say.block(
      [
        `ls -l ${SHM_DIR}: -${rwx(st.mode & 0o777)} uid ${st.uid} gid ${st.gid} ${st.size} bytes, changed ${st.mtime.toISOString()}`,
        `mapped by (from /proc/PID/maps, this process included): ${mappedBy(file).join(', ') || 'nobody visible from here'}`,
        `mapped here read-only at ${hexAddress(mapping.address)}; a POSIX object has no IPC_STAT: the file's stat is what there is`,
      ].join('\n'),
    );
    const bytes = mapping.view.read(0, mapping.size);
    const lab = labOf(bytes, options.lab);
    const color = colorEnabled();
    say.step(`memory map: ${bytes.length} bytes, 16 a row; the line under each row marks its bytes (legend below)`);
    say.block([renderMap(bytes, { color, lab }), '', renderLegend(bytes, { color, lab }), '', verdictOf(lab, bytes).text].join('\n'));
    return 0;
  } finally {
    mapping.unmap();
  }
}
