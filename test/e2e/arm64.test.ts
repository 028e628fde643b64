/**
 * linux/arm64, what Apple Silicon Macs run, under qemu emulation on an x86_64 engine: the arm64
 * image runs the lab end to end, and an amd64 server and an arm64 client share one segment
 * (the kernel's System V objects do not care which instruction set the process speaks).
 * Its own vitest project (arm64): CI builds ipc-lab:arm64 offline and runs it (scripts/ci/arm64.sh);
 * on an arm64 host the ordinary end-to-end tests already run natively.
 */
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { ComposeLab } from '../../src/docker/compose-lab.ts';
import { run } from './support.ts';

const MESSAGE = 'PI is defined as: 22/7==3.14286\n\ngoodbye';
const ARM64_IMAGE = process.env.IPC_LAB_ARM64_IMAGE ?? 'ipc-lab:arm64';

describe('linux/arm64 under emulation', () => {
  beforeAll(async () => {
    // Only scripts/ci/arm64.sh builds this image: say so, rather than fail on an amd64 image.
    const arch = await run('docker', ['run', '--rm', '--network', 'none', '--entrypoint', 'uname', ARM64_IMAGE, '-m']);
    if (arch.stdout.trim() !== 'aarch64')
      throw new Error(
        `${ARM64_IMAGE} is missing or not an arm64 image (uname -m: ${arch.stdout.trim() || arch.stderr.trim()}): build it with ` +
          `scripts/ci/arm64.sh, which runs these tests`,
      );
  });

  it('an arm64 lab runs end to end, and make down leaves nothing', async () => {
    const env = { IPC_LAB_PROJECT: 'ipc-lab-arm64', IPC_LAB_IMAGE: ARM64_IMAGE };
    const lab = new ComposeLab('ipc-lab-arm64');
    try {
      const up = await run('make', ['up', 'UP_FLAGS='], env);
      expect(up.code, up.stderr).toBe(0);
      expect(up.stdout).toContain(MESSAGE);
      const arch = await lab.exec('server', ['uname', '-m']);
      expect(arch.stdout.trim()).toBe('aarch64');
    } finally {
      const down = await run('make', ['down'], env);
      expect(down.stdout).toMatch(/IPC_RMID, NULL\) = 0/);
    }
    expect(await lab.leftovers()).toEqual({ containers: [], volumes: [], networks: [] });
  });

  it('an amd64 server and an arm64 client share one segment', async () => {
    const lab = new ComposeLab('ipc-lab-mixed');
    const env = { IPC_LAB_PROJECT: 'ipc-lab-mixed' };
    try {
      const up = await run('make', ['up'], env);
      expect(up.code, up.stderr).toBe(0);
      const server = await lab.require('server');
      expect((await lab.exec('server', ['uname', '-m'])).stdout.trim()).toBe('x86_64');
      // The arm64 client joins the amd64 server's IPC namespace, locked down like the lab's own.
      const out = new PassThrough();
      const err = new PassThrough();
      let text = '';
      let errors = '';
      out.on('data', (d: Buffer) => (text += d.toString('utf8')));
      err.on('data', (d: Buffer) => (errors += d.toString('utf8')));
      const [result, container] = (await lab.docker.run(ARM64_IMAGE, ['client', '--quiet'], [out, err], {
        Tty: false,
        User: '10001:10001',
        Env: ['IPC_LAB_KEY_FILE=/var/lib/ipc-lab/ftok.key', 'NO_COLOR=1'],
        HostConfig: {
          IpcMode: `container:${server.id}`,
          NetworkMode: 'none',
          ReadonlyRootfs: true,
          CapDrop: ['ALL'],
          SecurityOpt: ['no-new-privileges:true'],
          Binds: ['ipc-lab-mixed_keys:/var/lib/ipc-lab:ro'],
          Init: true,
        },
      })) as [{ StatusCode: number }, { remove: () => Promise<unknown> }];
      await container.remove();
      expect(result.StatusCode, `${text}${errors}`).toBe(0);
      expect(text).toBe(`${MESSAGE}\n`);
    } finally {
      await run('make', ['down'], env);
    }
    expect(await lab.leftovers()).toEqual({ containers: [], volumes: [], networks: [] });
  });
});
