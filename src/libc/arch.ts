/** The architectures whose C structs the lab knows: x86_64 and aarch64 Linux, glibc. */
export type Arch = 'x64' | 'arm64';

export function hostArch(): Arch {
  if (process.arch === 'x64' || process.arch === 'arm64') return process.arch;
  throw new Error(`ipc-lab supports x86_64 and aarch64 Linux, not ${process.platform}/${process.arch}`);
}
