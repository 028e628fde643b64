/**
 * Who may attach: the segment's mode bits against the caller's uid and gid, as real processes
 * under other uids (setpriv; the test runner runs this as root).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compileC } from '../../support/c-programs.ts';
import type { LabProcess } from '../../support/cli.ts';
import { labFixture } from '../../support/lab-fixture.ts';
import { setprivAs } from '../../support/other-users.ts';

const MESSAGE = 'PI is defined as: 22/7==3.14286\n\ngoodbye\n';

const lab = labFixture();

async function serverAs(uid: number, gid: number, mode: string): Promise<LabProcess> {
  const server = lab.start(['server', '--key', lab.hexKey, '--mode', mode], { as: { uid, gid } });
  await server.waitFor(/^ready:/m);
  return server;
}

const client = (uid: number, gid: number) => lab.run(['client', '--key', lab.hexKey, '--quiet', '--timeout', '2'], { as: { uid, gid } });

describe('permissions', () => {
  it('0600: the owner reads; another user, even in the same group, gets EACCES explained', async () => {
    await serverAs(1001, 2000, '0600');
    expect((await client(1001, 2000)).stdout).toBe(MESSAGE);
    const other = await client(1002, 2000);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/shmat\(.*\) failed: EACCES/);
    expect(other.stderr).toMatch(/hint: the segment's mode does not let this user in/);
  });

  it("0660: a user in the segment's group reads; a user outside it does not", async () => {
    await serverAs(1001, 2000, '0660');
    expect((await client(1002, 2000)).stdout).toBe(MESSAGE);
    expect((await client(1003, 3000)).stderr).toMatch(/EACCES/);
  });

  it("0666, the original demo's mode: the server warns, and any user can overwrite what every client reads", async () => {
    const server = await serverAs(1001, 2000, '0666');
    expect(server.stdout).toMatch(/mode 0666 is world-writable.*any process of any user/);
    // An unrelated user attaches read-write and rewrites the numerator (offset 36) to 23.
    const [cmd, ...args] = lab.ns.wrap([...setprivAs(1003, 3000), compileC('poke'), lab.hexKey, '36', '23']);
    const poke = spawnSync(cmd!, args, { encoding: 'utf8' });
    expect(poke.status, poke.stderr).toBe(0);
    expect((await client(1002, 2500)).stdout).toBe('PI is defined as: 23/7==3.14286\n\ngoodbye\n');
  });
});
