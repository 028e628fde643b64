/**
 * Once for the whole test run: one temporary folder (compiled C probes, and the checkout other
 * uids run from where this one is closed to them), removed when the run ends.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './cli.ts';
import { checkoutForOtherUsers } from './other-users.ts';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-test-'));
  // Other uids run some of these programs (setpriv in the permission tests).
  chmodSync(dir, 0o755);
  process.env.IPC_LAB_C_BUILD_DIR = dir;
  // Only root can switch uids; elsewhere the tests that need it say so themselves.
  // A problem is kept for those tests to report, so the rest of the run goes on.
  if (process.getuid?.() === 0) {
    try {
      process.env.IPC_LAB_OTHER_USER_ROOT = checkoutForOtherUsers(ROOT, dir);
    } catch (error) {
      process.env.IPC_LAB_OTHER_USER_PROBLEM = (error as Error).message;
    }
  }
  return () => rmSync(dir, { recursive: true, force: true });
}
