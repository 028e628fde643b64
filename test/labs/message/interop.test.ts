/** The bytes are the C layout: a C reader understands the TypeScript server, and back. */
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileC } from '../../support/c-programs.ts';
import { randomKey, runLab, startLab } from '../../support/cli.ts';
import { IpcNamespace } from '../../support/ipc-namespace.ts';

const MESSAGE = 'PI is defined as: 22/7==3.14286\n\ngoodbye\n';
const hex = (key: number) => `0x${(key >>> 0).toString(16).padStart(8, '0')}`;

let ns: IpcNamespace;
let key: number;

beforeEach(async () => {
  ns = await IpcNamespace.create();
  key = randomKey();
});

afterEach(() => {
  ns.dispose([key]);
});

function runInNamespace(program: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const [cmd, ...rest] = ns.wrap([compileC(program), ...args]);
  return spawnSync(cmd!, rest, { encoding: 'utf8' });
}

describe('C and TypeScript share the layout', () => {
  it('a C client reads the message the TypeScript server wrote, through the structs', async () => {
    const server = startLab(ns, ['server', '--key', hex(key)]);
    try {
      await server.waitFor(/^ready:/m);
      const c = runInNamespace('pi-reader', [hex(key)]);
      expect(c.stderr).toBe('');
      expect(c.stdout).toBe(MESSAGE);
    } finally {
      expect((await server.stop()).code).toBe(0);
    }
    expect(ns.segmentWithKey(key)).toBeUndefined();
  });

  it('the TypeScript client reads a segment a C server wrote', async () => {
    const made = runInNamespace('pi-writer', [hex(key)]);
    expect(made.status, made.stderr).toBe(0);
    const client = await runLab(ns, ['client', '--key', hex(key), '--layout']);
    expect(client.code).toBe(0);
    expect(client.stdout).toContain(MESSAGE);
    expect(client.stdout).toMatch(/^\s+56\s+8\s+pi_message.double value\s+5\s+3.142857142857143$/m);
    // The client only detaches: the C writer's segment is still there for its owner to remove.
    expect(ns.segmentWithKey(key)).toMatchObject({ nattch: 0, size: 1024 });
    ns.removeKey(key);
  });
});
