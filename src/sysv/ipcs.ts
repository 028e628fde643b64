/**
 * One object's row of `ipcs` (util-linux), with the header above it: what a student types to see
 * the same object from outside the program. Read from the tool itself, not rebuilt, so that the
 * lab shows exactly the columns ipcs prints on this machine.
 */
import { execFileSync } from 'node:child_process';

export type IpcsSection = 'm' | 's' | 'q';

/** The header and the row of the object with this id in `ipcs -m|-s|-q`; undefined without ipcs or without the row. */
export function ipcsRow(section: IpcsSection, id: number): { header: string; row: string } | undefined {
  try {
    const lines = execFileSync('ipcs', [`-${section}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n');
    const header = lines.find((l) => l.startsWith('key')) ?? '';
    const row = lines.find((l) => l.split(/\s+/)[1] === String(id));
    return row ? { header: header.trimEnd(), row: row.trimEnd() } : undefined;
  } catch {
    return undefined; // no ipcs here (a bare host): the caller shows what it has
  }
}
