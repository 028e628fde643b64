/** Which IPC namespace this process is in: segments are visible only inside one namespace. */
import { readlinkSync } from 'node:fs';

export function ipcNamespace(): string {
  try {
    return readlinkSync('/proc/self/ns/ipc');
  } catch {
    return 'unknown';
  }
}
