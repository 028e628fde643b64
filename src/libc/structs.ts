/**
 * The C structs of System V IPC as glibc defines them, per architecture: `struct ipc_perm` and
 * `struct shmid_ds` for shmctl(IPC_STAT), `struct semid_ds` for semctl(IPC_STAT), and `struct
 * sembuf` and `struct timespec` for semop and semtimedop. test/libc/structs.test.ts checks every
 * offset against gcc, natively and with the other arch's cross compiler.
 *
 * shmid_ds: since glibc 2.31 both 64-bit arches declare `mode` as a 32-bit mode_t (x86_64 once
 * had `unsigned short mode; unsigned short __pad1;`), so the two layouts now agree byte for
 * byte; they stay separate because 32-bit arches and older glibc do not.
 *
 * semid_ds really does differ between the two: x86's header (shared with i386 and x32) keeps a
 * `__sem_otime_high` and a `__sem_ctime_high` word after each time, as the kernel's x86
 * semid64_ds does, while the generic header used by aarch64 drops them when time_t is 64 bits.
 * So sem_nsems is at 80 on x86_64 and at 64 on aarch64 (104 vs 88 bytes).
 *
 * msqid_ds, for msgctl(IPC_STAT), comes from the generic header on both: 120 bytes.
 */
import koffi, { type TypeObject } from 'koffi';
import { hostArch, type Arch } from './arch.ts';

export { hostArch, type Arch } from './arch.ts';

type Fields = Record<string, string | TypeObject>;

const ipcPermFields: Record<Arch, Fields> = {
  // glibc sysdeps/unix/sysv/linux/x86/bits/ipc-perm.h
  x64: {
    __key: 'int32_t',
    uid: 'uint32_t',
    gid: 'uint32_t',
    cuid: 'uint32_t',
    cgid: 'uint32_t',
    mode: 'uint32_t',
    __seq: 'uint16_t',
    __pad2: 'uint16_t',
    __glibc_reserved1: 'unsigned long',
    __glibc_reserved2: 'unsigned long',
  },
  // glibc sysdeps/unix/sysv/linux/bits/ipc-perm.h (the generic one, used by aarch64)
  arm64: {
    __key: 'int32_t',
    uid: 'uint32_t',
    gid: 'uint32_t',
    cuid: 'uint32_t',
    cgid: 'uint32_t',
    mode: 'uint32_t',
    __seq: 'uint16_t',
    __pad2: 'uint16_t',
    __glibc_reserved1: 'unsigned long',
    __glibc_reserved2: 'unsigned long',
  },
};

function shmidDsFields(perm: TypeObject): Record<Arch, Fields> {
  const common: Fields = {
    shm_perm: perm,
    shm_segsz: 'size_t',
    shm_atime: 'int64_t',
    shm_dtime: 'int64_t',
    shm_ctime: 'int64_t',
    shm_cpid: 'int32_t',
    shm_lpid: 'int32_t',
    shm_nattch: 'unsigned long',
    __glibc_reserved5: 'unsigned long',
    __glibc_reserved6: 'unsigned long',
  };
  return { x64: common, arm64: common };
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

function semidDsFields(perm: TypeObject): Record<Arch, Fields> {
  return {
    // glibc sysdeps/unix/sysv/linux/x86/bits/types/struct_semid_ds.h
    x64: {
      sem_perm: perm,
      sem_otime: 'int64_t',
      __sem_otime_high: 'unsigned long',
      sem_ctime: 'int64_t',
      __sem_ctime_high: 'unsigned long',
      sem_nsems: 'unsigned long',
      __glibc_reserved3: 'unsigned long',
      __glibc_reserved4: 'unsigned long',
    },
    // glibc sysdeps/unix/sysv/linux/bits/types/struct_semid_ds.h, the __TIMESIZE == 64 branch
    arm64: {
      sem_perm: perm,
      sem_otime: 'int64_t',
      sem_ctime: 'int64_t',
      sem_nsems: 'unsigned long',
      __glibc_reserved3: 'unsigned long',
      __glibc_reserved4: 'unsigned long',
    },
  };
}

// <sys/sem.h>: the same six bytes everywhere.
const sembufFields: Fields = { sem_num: 'unsigned short', sem_op: 'short', sem_flg: 'short' };

// <bits/types/struct_timespec.h> on a 64-bit arch: time_t and long are both 8 bytes.
const timespecFields: Fields = { tv_sec: 'int64_t', tv_nsec: 'long' };

interface SemStructs {
  readonly SEMID_DS: TypeObject;
  readonly SEMBUF: TypeObject;
  readonly TIMESPEC: TypeObject;
}

const madeSem = new Map<Arch, SemStructs>();

/** Either arch's structs (koffi type names are global, so each is made once). */
export function semStructsFor(arch: Arch): SemStructs {
  let structs = madeSem.get(arch);
  if (!structs) {
    structs = {
      SEMID_DS: koffi.struct(`semid_ds_${arch}`, semidDsFields(structsFor(arch).IPC_PERM)[arch]),
      SEMBUF: koffi.struct(`sembuf_${arch}`, sembufFields),
      TIMESPEC: koffi.struct(`timespec_${arch}`, timespecFields),
    };
    madeSem.set(arch, structs);
  }
  return structs;
}

export const { SEMID_DS, SEMBUF, TIMESPEC } = semStructsFor(hostArch());

// glibc sysdeps/unix/sysv/linux/bits/types/struct_msqid_ds.h, the __TIMESIZE == 64 branch: the
// generic header, used by x86_64 and aarch64 alike (unlike semid_ds, x86 has no header of its own).
function msqidDsFields(perm: TypeObject): Fields {
  return {
    msg_perm: perm,
    msg_stime: 'int64_t',
    msg_rtime: 'int64_t',
    msg_ctime: 'int64_t',
    __msg_cbytes: 'unsigned long',
    msg_qnum: 'unsigned long',
    msg_qbytes: 'unsigned long',
    msg_lspid: 'int32_t',
    msg_lrpid: 'int32_t',
    __glibc_reserved4: 'unsigned long',
    __glibc_reserved5: 'unsigned long',
  };
}

const madeMsg = new Map<Arch, TypeObject>();

/** Either arch's struct msqid_ds (koffi type names are global, so each is made once). */
export function msgStructsFor(arch: Arch): { readonly MSQID_DS: TypeObject } {
  let msqid = madeMsg.get(arch);
  if (!msqid) {
    msqid = koffi.struct(`msqid_ds_${arch}`, msqidDsFields(structsFor(arch).IPC_PERM));
    madeMsg.set(arch, msqid);
  }
  return { MSQID_DS: msqid };
}

export const { MSQID_DS } = msgStructsFor(hostArch());
