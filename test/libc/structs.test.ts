// The C structs of System V IPC, per architecture, against gcc: shmid_ds (with ipc_perm), semid_ds, sembuf, timespec, msqid_ds.
import koffi from 'koffi';
import { describe, expect, it } from 'vitest';
import { msgStructsFor, semStructsFor, structsFor } from '../../src/libc/structs.ts';
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

describe.each(['x64', 'arm64'] as const)('semaphore structs on %s', (arch) => {
  const { SEMID_DS, SEMBUF, TIMESPEC } = semStructsFor(arch);

  it('have every field where glibc puts it (checked by gcc at compile time)', () => {
    assertLayoutWithGcc(arch, ['sys/sem.h', 'time.h'], { semid_ds: SEMID_DS, sembuf: SEMBUF, timespec: TIMESPEC });
  });

  it('share the six-byte sembuf and the 16-byte timespec', () => {
    expect(koffi.sizeof(SEMBUF)).toBe(6);
    expect(koffi.sizeof(TIMESPEC)).toBe(16);
  });
});

describe('struct semid_ds differs between the 64-bit arches, unlike shmid_ds', () => {
  it('keeps the __sem_*time_high words on x86_64 only', () => {
    expect(koffi.sizeof(semStructsFor('x64').SEMID_DS)).toBe(104);
    expect(koffi.offsetof(semStructsFor('x64').SEMID_DS, 'sem_nsems')).toBe(80);
    expect(koffi.sizeof(semStructsFor('arm64').SEMID_DS)).toBe(88);
    expect(koffi.offsetof(semStructsFor('arm64').SEMID_DS, 'sem_nsems')).toBe(64);
  });

  it('reuses the one ipc_perm of structs.ts', () => {
    for (const arch of ['x64', 'arm64'] as const) {
      expect(semStructsFor(arch).SEMID_DS.members?.sem_perm).toMatchObject({ offset: 0, type: { size: 48 } });
    }
  });
});

describe.each(['x64', 'arm64'] as const)('struct msqid_ds on %s', (arch) => {
  const { MSQID_DS } = msgStructsFor(arch);

  it('has every field where glibc puts it (checked by gcc at compile time)', () => {
    assertLayoutWithGcc(arch, ['sys/msg.h'], { msqid_ds: MSQID_DS }, ['__glibc_reserved']);
  });

  it('is the 120-byte struct of both 64-bit ABIs, msg_qbytes at 88', () => {
    expect(koffi.sizeof(MSQID_DS)).toBe(120);
    expect(koffi.offsetof(MSQID_DS, 'msg_qbytes')).toBe(88);
  });
});
