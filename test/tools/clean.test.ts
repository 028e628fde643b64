/** ipc-lab clean removes the lab's leftovers, and nothing that is not the lab's or still in use. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileC } from '../support/c-programs.ts';
import { runLab, startLab, type LabProcess } from '../support/cli.ts';
import { IpcNamespace } from '../support/ipc-namespace.ts';

let ns: IpcNamespace;
let dir: string;
let keyFile: string;
const running: LabProcess[] = [];
const extraKeys: number[] = [];

beforeEach(async () => {
  ns = await IpcNamespace.create();
  dir = mkdtempSync(join(tmpdir(), 'ipc-lab-clean-'));
  keyFile = join(dir, 'lab.key');
});

afterEach(async () => {
  for (const p of running.splice(0)) await p.stop();
  for (const key of extraKeys.splice(0)) ns.removeKey(key); // the test's own stranger
  const left = { segments: ns.segments().map((s) => s.key), sets: ns.semaphoreSetKeys() };
  ns.dispose();
  rmSync(dir, { recursive: true, force: true });
  if (ns.isolated) expect(left, 'the test left IPC objects behind').toEqual({ segments: [], sets: [] });
});

async function killedWithSigkill(args: string[], ready: RegExp): Promise<void> {
  const p = startLab(ns, args);
  await p.waitFor(ready);
  p.kill('SIGKILL');
  await p.exited;
}

describe('ipc-lab clean', () => {
  it('removes what a SIGKILLed server and race writer left, and says what each was', async () => {
    await killedWithSigkill(['server', '--key-file', keyFile], /^ready:/m);
    await killedWithSigkill(['race', 'writer', '--key-file', keyFile], /waiting for the reader/);
    const before = { segments: ns.segments().length, sets: ns.semaphoreSetKeys().length };
    expect(before).toEqual({ segments: 2, sets: 1 });
    const clean = await runLab(ns, ['clean', '--key-file', keyFile]);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stdout).toMatch(
      /removed segment \d+ \(message, key 0x4c[0-9a-f]{6}, magic "IPCL", created by pid \d+ .* ago, 0 attached\)/,
    );
    expect(clean.stdout).toMatch(/removed segment \d+ \(race, key 0x52[0-9a-f]{6}, magic "IPCR"/);
    expect(clean.stdout).toMatch(/removed semaphore set \d+ \(race, key 0x52[0-9a-f]{6}, 1 semaphore\(s\)/);
    expect(clean.stdout).toMatch(/removed 3 object\(s\), left 0 alone/);
  });

  it("leaves a segment in use alone (unless --force), and one that is not the lab's", async () => {
    const server = startLab(ns, ['server', '--key-file', keyFile]);
    running.push(server);
    await server.waitFor(/^ready:/m);
    // A stranger's segment on the race lab's key, with its own content.
    const [cmd, ...args] = ns.wrap([
      'node',
      '--import',
      'tsx',
      '-e',
      `import { ftok } from './src/sysv/shm.ts'; console.log(ftok(${JSON.stringify(keyFile)}, 0x52))`,
    ]);
    const strangerKey = Number(spawnSync(cmd!, args, { encoding: 'utf8' }).stdout.trim());
    extraKeys.push(strangerKey);
    const [pc, ...pargs] = ns.wrap([compileC('poke'), String(strangerKey >>> 0), '--create', '64']);
    expect(spawnSync(pc!, pargs).status).toBe(0);
    const [wc, ...wargs] = ns.wrap([compileC('poke'), String(strangerKey >>> 0), '0', '0x58', '0x59']);
    expect(spawnSync(wc!, wargs).status).toBe(0);

    const clean = await runLab(ns, ['clean', '--key-file', keyFile]);
    expect(clean.stdout).toMatch(/left alone: segment \d+ \(message, .*1 attached\): still in use/);
    expect(clean.stdout).toMatch(/left alone: segment \d+ \(race, .*starts with "XY\\u0000\\u0000", not a lab magic.*\): not the lab's/);
    expect(clean.stdout).toMatch(/removed 0 object\(s\), left 2 alone/);
    expect(ns.segments().length).toBe(2);
  });
});
