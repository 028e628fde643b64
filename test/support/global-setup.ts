/** One temporary folder for the whole test run (compiled C probes), removed when it ends. */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-test-'));
  // Other uids run some of these programs (setpriv in the permission tests).
  chmodSync(dir, 0o755);
  process.env['IPC_LAB_C_BUILD_DIR'] = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
