/** Faults a workshop room produces: a server killed with SIGKILL, a key held by a stale segment. */
import { describe, expect, it } from 'vitest';
import type { LabProcess } from '../../support/cli.ts';
import { labFixture } from '../../support/lab-fixture.ts';

const MESSAGE = 'PI is defined as: 22/7==3.14286\n\ngoodbye\n';

const lab = labFixture();

async function readyServer(...args: string[]): Promise<LabProcess> {
  const server = lab.start(['server', '--key', lab.hexKey, ...args]);
  await server.waitFor(/^ready:/m);
  return server;
}

describe('a server killed with SIGKILL', () => {
  it('leaves its segment behind (nattch 0); the next server names it and refuses; --replace removes it', async () => {
    const killed = await readyServer();
    const pid = killed.child.pid!;
    killed.kill('SIGKILL');
    await killed.exited;
    const stale = lab.ns.segmentWithKey(lab.key);
    expect(stale).toMatchObject({ nattch: 0, size: 1024 });

    const refused = await lab.run(['server', '--key', lab.hexKey]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(
      new RegExp(
        `shmid ${stale!.shmid}: created by pid ${pid} \\(uid \\d+\\) \\d+ s ago, 1024 bytes, mode 0600, 0 process\\(es\\) attached`,
      ),
    );
    expect(refused.stdout).toMatch(/left over from a server that was killed \(SIGKILL\)/);
    expect(refused.stdout).toContain(`ipcrm -m ${stale!.shmid}`);
    expect(lab.ns.segmentWithKey(lab.key)).toEqual(stale); // untouched

    const replacing = await readyServer('--replace');
    expect(replacing.stdout).toMatch(new RegExp(`shmctl\\(${stale!.shmid}, IPC_RMID, NULL\\) = 0 .*--replace: removed the stale segment`));
    expect((await lab.run(['client', '--key', lab.hexKey, '--quiet'])).stdout).toBe(MESSAGE);
  });

  it('names the commands that remove that very segment: ipc-lab clean with the same --key, ipcrm -M with the key', async () => {
    const killed = await readyServer();
    killed.kill('SIGKILL');
    await killed.exited;
    const refused = await lab.run(['server', '--key', lab.hexKey, '--exit']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(`(or: ipc-lab clean --key ${lab.hexKey}, or start the server with --replace)`);
    expect(refused.stderr).toContain(`remove it with \`ipcrm -M ${lab.hexKey}\``);
    expect(refused.stderr).not.toMatch(/<key>/);
    // The command it named does remove it.
    const clean = await lab.run(['clean', '--key', lab.hexKey]);
    expect(clean.stdout).toMatch(/removed 1 object\(s\)/);
    expect(lab.ns.segmentWithKey(lab.key)).toBeUndefined();
  });

  it('--replace leaves a segment alone while something is attached to it', async () => {
    await readyServer();
    const second = await lab.run(['server', '--key', lab.hexKey, '--replace']);
    expect(second.code).toBe(1);
    expect(second.stdout).toMatch(/--replace: segment \d+ still has 1 process\(es\) attached, so it is not stale/);
    expect((await lab.run(['client', '--key', lab.hexKey, '--quiet'])).stdout).toBe(MESSAGE);
  });
});
