/**
 * `struct semid_ds`, `struct sembuf` and `struct timespec` as glibc defines them, per
 * architecture, for semctl(IPC_STAT), semop and semtimedop. The `struct ipc_perm` inside
 * semid_ds is the one from ./structs.ts. test/sysv/sem-structs.test.ts checks every offset
 * against gcc, natively and with the aarch64 cross compiler.
 *
 * Unlike shmid_ds, semid_ds really does differ between the two 64-bit arches: x86's header
 * (shared with i386 and x32) keeps a `__sem_otime_high` and a `__sem_ctime_high` word after each
 * time, as the kernel's x86 semid64_ds does, while the generic header used by aarch64 drops them
 * when time_t is 64 bits. So sem_nsems is at 80 on x86_64 and at 64 on aarch64 (104 vs 88 bytes).
 */
import koffi, { type TypeObject } from 'koffi';
import { hostArch, structsFor, type Arch } from './structs.ts';

type Fields = Record<string, string | TypeObject>;

function semidDsFields(perm: TypeObject): Record<Arch, Fields> {
  return {
    // glibc sysdeps/unix/sysv/linux/x86/bits/types/struct_semid_ds.h
    x64: {
      sem_perm: perm,
      sem_otime: 'int64_t', __sem_otime_high: 'unsigned long',
      sem_ctime: 'int64_t', __sem_ctime_high: 'unsigned long',
      sem_nsems: 'unsigned long', __glibc_reserved3: 'unsigned long', __glibc_reserved4: 'unsigned long',
    },
    // glibc sysdeps/unix/sysv/linux/bits/types/struct_semid_ds.h, the __TIMESIZE == 64 branch
    arm64: {
      sem_perm: perm,
      sem_otime: 'int64_t', sem_ctime: 'int64_t',
      sem_nsems: 'unsigned long', __glibc_reserved3: 'unsigned long', __glibc_reserved4: 'unsigned long',
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

const made = new Map<Arch, SemStructs>();

/** Either arch's structs (koffi type names are global, so each is made once). */
export function semStructsFor(arch: Arch): SemStructs {
  let structs = made.get(arch);
  if (!structs) {
    structs = {
      SEMID_DS: koffi.struct(`semid_ds_${arch}`, semidDsFields(structsFor(arch).IPC_PERM)[arch]),
      SEMBUF: koffi.struct(`sembuf_${arch}`, sembufFields),
      TIMESPEC: koffi.struct(`timespec_${arch}`, timespecFields),
    };
    made.set(arch, structs);
  }
  return structs;
}

export const { SEMID_DS, SEMBUF, TIMESPEC } = semStructsFor(hostArch());
