import koffi from 'koffi';
import { describe, expect, it } from 'vitest';
import { structsFor } from '../../src/libc/structs.ts';
import { assertLayoutWithGcc } from '../support/gcc-layout.ts';

describe.each(['x64', 'arm64'] as const)('struct shmid_ds on %s', (arch) => {
  const { SHMID_DS, IPC_PERM } = structsFor(arch);

  it('has every field where glibc puts it (checked by gcc at compile time)', () => {
    assertLayoutWithGcc(arch, ['sys/shm.h'], { ipc_perm: IPC_PERM, shmid_ds: SHMID_DS }, ['__glibc_reserved', '__pad2']);
  });

  it('is the 112-byte struct of the 64-bit ABIs', () => {
    expect(koffi.sizeof(SHMID_DS)).toBe(112);
    expect(koffi.offsetof(SHMID_DS, 'shm_nattch')).toBe(88);
  });
});
