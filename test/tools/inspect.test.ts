/** ipc-lab inspect as a real process, beside a real server, in the test's own IPC namespace. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HEADER, PI_MESSAGE, THE_MESSAGE } from '../../src/labs/message/contract.ts';
import type { LabProcess } from '../support/cli.ts';
import { labFixture } from '../support/lab-fixture.ts';

const GOLDEN = readFileSync(new URL('./golden/memory-map.txt', import.meta.url), 'utf8');

const lab = labFixture();

async function readyServer(...args: string[]): Promise<{ server: LabProcess; shmid: number }> {
  const server = lab.start(['server', '--key', lab.hexKey, ...args]);
  const [, shmid] = await server.waitFor(/^ready: segment (\d+)/m, 20_000);
  return { server, shmid: Number(shmid) };
}

/** `ipcs -m -i SHMID` as util-linux prints it, as name=value pairs. */
function ipcsDetails(shmid: number): Record<string, string> {
  const [cmd, ...args] = lab.ns.wrap(['ipcs', '-m', '-i', String(shmid)]);
  const out = spawnSync(cmd!, args, { encoding: 'utf8', env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' } }).stdout;
  return Object.fromEntries([...out.matchAll(/(\w+)=([^\t\n]+?)\s*(?=\t|\n|$)/g)].map((m) => [m[1]!, m[2]!]));
}

describe('ipc-lab inspect', () => {
  it("prints the golden memory map and legend for the server's segment", async () => {
    await readyServer();
    const out = await lab.run(['inspect', '--key', lab.hexKey]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain(GOLDEN.trimEnd());
    expect(out.stdout).toContain('a lab segment, version 1, state 2 (ready)');
  });

  it('prints the IPC_STAT figures that ipcs -m -i prints for the same segment', async () => {
    const { shmid } = await readyServer();
    const ipcs = ipcsDetails(shmid);
    const out = await lab.run(['inspect', '--key', lab.hexKey], { env: { TZ: 'UTC' } });
    const field = (name: string) => out.stdout.match(new RegExp(`^${name}\\s+(.+?)\\s{2,}`, 'm'))?.[1];
    expect(field('shmid')).toBe(String(shmid));
    expect(field('owner')).toMatch(new RegExp(`^uid ${ipcs.uid} \\(.*\\), gid ${ipcs.gid} `));
    expect(field('creator')).toMatch(new RegExp(`^uid ${ipcs.cuid} \\(.*\\), gid ${ipcs.cgid} `));
    expect(field('mode')).toBe(`${ipcs.mode} rw-------`);
    expect(field('size')).toBe(`${ipcs.bytes} bytes`);
    expect(field('cpid')).toMatch(new RegExp(`^${ipcs.cpid} \\(node\\)`));
    expect(field('lpid')).toMatch(new RegExp(`^${ipcs.lpid} \\(`));
    expect(field('nattch')).toBe(ipcs.nattch);
    expect(ipcs.det_time).toBe('Not set');
    expect(field('dtime')).toBe('not set');
    // ipcs prints ctime(3)-style local times; compare them as instants.
    const atime = field('atime')!.match(/^(.+) UTC/)![1]!;
    expect(new Date(`${atime}Z`).getTime()).toBe(new Date(`${ipcs.att_time} UTC`).getTime());
    const [, ipcsRow] = out.stdout.match(/^(0x[0-9a-f]{8}\s+\d+\s+\S+\s+600\s+1024\s+1)\s*$/m) ?? [];
    expect(ipcsRow).toBeDefined();
  });

  it("--json gives the contract's offsets and the decoded values", async () => {
    await readyServer();
    const out = await lab.run(['inspect', '--key', lab.hexKey, '--json']);
    expect(out.code, out.stderr).toBe(0);
    const report = JSON.parse(out.stdout) as {
      valid: boolean;
      state: number;
      regions: Array<{ kind: string; field: string | null; offset: number; size: number; paddingBefore: number | null; value: unknown }>;
      stat: { size: number; mode: string };
    };
    expect(report).toMatchObject({ valid: true, state: 2, stat: { size: 1024, mode: '0600' } });
    const fields = report.regions.filter((r) => r.kind === 'field');
    for (const f of [...HEADER.fields, ...PI_MESSAGE.fields]) {
      expect(fields.find((r) => r.field === f.name)).toMatchObject({ offset: f.offset, size: f.size, paddingBefore: f.paddingBefore });
    }
    const value = (name: string) => fields.find((r) => r.field === name)?.value;
    expect(value('magic')).toBe('IPCL');
    expect(value('state')).toBe(2);
    for (const [name, v] of Object.entries(THE_MESSAGE)) expect(value(name)).toBe(v);
  });

  it('--watch shows state 1 then 2, and the fields arriving in the order the server writes them', async () => {
    const watcher = lab.start(['inspect', '--key', lab.hexKey, '--watch', '--interval', '0.02', '--timeout', '20']);
    const { server } = await readyServer('--step', '0.15');
    await watcher.waitFor(/^--- frame \d+ .*state 2 \(ready\)/m, 20_000);
    server.kill('SIGTERM');
    await watcher.waitFor(/removed \(IPC_RMID\) by its owner/, 10_000);
    expect((await watcher.exited).code).toBe(0);

    const frames = watcher.stdout.split(/^--- frame /m).slice(1);
    const states = frames.map((f) => Number(f.match(/state (\d)/)?.[1]));
    expect(states.indexOf(1)).toBeGreaterThanOrEqual(0);
    expect(states.lastIndexOf(1)).toBeLessThan(states.indexOf(2));
    // A segment being written is a moment of the lesson, not a broken segment of another version.
    for (const f of frames.filter((f) => /state 1/.test(f)))
      expect(f.split('\n')[0]).toMatch(/state 1 \(being written\): the server is writing/);
    expect(watcher.stdout).not.toMatch(/run the same ipc-lab version/);
    // The frame in which each field first shows its value: non-decreasing in writing order.
    const writeOrder = ['magic', 'version', 'header_size', 'payload_size', ...PI_MESSAGE.fields.map((f) => f.name)];
    const legendValue = (frame: string, name: string) =>
      frame.match(new RegExp(`\\.${name}\\s+\\d+\\s+\\d+\\s+.*?\\s{2,}(?:\\d+\\s{2,})?(.*)$`, 'm'))?.[1] ?? '';
    const empty = /^(0|""|"\\u0000"|0 \(%g: 0\))$/;
    const firstSeen = writeOrder.map((name) => frames.findIndex((f) => !empty.test(legendValue(f, name).trim())));
    expect(
      firstSeen.every((i) => i >= 0),
      JSON.stringify(firstSeen),
    ).toBe(true);
    for (let i = 1; i < firstSeen.length; i++) expect(firstSeen[i]!).toBeGreaterThanOrEqual(firstSeen[i - 1]!);
    expect(firstSeen.at(-1)!).toBeGreaterThan(firstSeen[0]!);
    // Padding is never written: every frame shows it as zeros.
    for (const f of frames) expect(f).toMatch(/^0020 {2}3a 20 00 00|^0020 {2}00 00 00 00/m);
  });

  it('says clearly when there is no segment', async () => {
    const out = await lab.run(['inspect', '--key', lab.hexKey]);
    expect(out.code).toBe(3);
    expect(out.stderr).toMatch(/no segment has the key/);
  });
});
