/**
 * `struct shmid_ds` (with its `struct ipc_perm`) as glibc defines it, per architecture, for
 * shmctl(IPC_STAT). test/sysv/structs.test.ts checks every offset against gcc, natively and
 * with the aarch64 cross compiler.
 *
 * Since glibc 2.31 both 64-bit arches declare `mode` as a 32-bit mode_t (x86_64 once had
 * `unsigned short mode; unsigned short __pad1;`), so the two layouts now agree byte for byte;
 * they stay separate because 32-bit arches and older glibc do not, and the test keeps them honest.
 */
import koffi, { type TypeObject } from 'koffi';

export type Arch = 'x64' | 'arm64';

type Fields = Record<string, string | TypeObject>;

const ipcPermFields: Record<Arch, Fields> = {
  // glibc sysdeps/unix/sysv/linux/x86/bits/ipc-perm.h
  x64: {
    __key: 'int32_t', uid: 'uint32_t', gid: 'uint32_t', cuid: 'uint32_t', cgid: 'uint32_t',
    mode: 'uint32_t', __seq: 'uint16_t', __pad2: 'uint16_t',
    __glibc_reserved1: 'unsigned long', __glibc_reserved2: 'unsigned long',
  },
  // glibc sysdeps/unix/sysv/linux/bits/ipc-perm.h (the generic one, used by aarch64)
  arm64: {
    __key: 'int32_t', uid: 'uint32_t', gid: 'uint32_t', cuid: 'uint32_t', cgid: 'uint32_t',
    mode: 'uint32_t', __seq: 'uint16_t', __pad2: 'uint16_t',
    __glibc_reserved1: 'unsigned long', __glibc_reserved2: 'unsigned long',
  },
};

function shmidDsFields(perm: TypeObject): Record<Arch, Fields> {
  const common: Fields = {
    shm_perm: perm, shm_segsz: 'size_t',
    shm_atime: 'int64_t', shm_dtime: 'int64_t', shm_ctime: 'int64_t',
    shm_cpid: 'int32_t', shm_lpid: 'int32_t', shm_nattch: 'unsigned long',
    __glibc_reserved5: 'unsigned long', __glibc_reserved6: 'unsigned long',
  };
  return { x64: common, arm64: common };
}

export function hostArch(): Arch {
  if (process.arch === 'x64' || process.arch === 'arm64') return process.arch;
  throw new Error(`ipc-lab supports x86_64 and aarch64 Linux, not ${process.platform}/${process.arch}`);
}

interface ShmStructs {
  readonly IPC_PERM: TypeObject;
  readonly SHMID_DS: TypeObject;
}

const made = new Map<Arch, ShmStructs>();

/** Either arch's structs (koffi type names are global, so each is made once). */
export function structsFor(arch: Arch): ShmStructs {
  let structs = made.get(arch);
  if (!structs) {
    const IPC_PERM = koffi.struct(`ipc_perm_${arch}`, ipcPermFields[arch]);
    structs = { IPC_PERM, SHMID_DS: koffi.struct(`shmid_ds_${arch}`, shmidDsFields(IPC_PERM)[arch]) };
    made.set(arch, structs);
  }
  return structs;
}

export const { IPC_PERM, SHMID_DS } = structsFor(hostArch());
