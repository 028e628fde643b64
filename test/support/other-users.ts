/**
 * Running the lab's command line as another uid (setpriv), as the permission lessons need. That
 * uid must be able to read the checkout: a clone under /root, in a `mktemp -d` folder (0700) or
 * in an Ubuntu home (0750) is closed to it, and node would die with "Cannot find package 'tsx'".
 * So the global setup checks, once, and where the checkout is closed it stages a copy that any
 * uid can read: the sources and just the packages the command line loads (tsx, koffi).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** setpriv's arguments to run as `uid`:`gid` with no supplementary groups. */
export const setprivAs = (uid: number, gid: number): string[] => ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups'];

/** What the command line needs on disk, relative to the checkout. */
const SOURCES = ['src', 'package.json', 'tsconfig.json'];
const RUNTIME_PACKAGES = ['tsx', 'koffi'];

/** Can `nobody` read what `node --import tsx src/cli.ts` loads from `root`? Empty when yes, else why not. */
export function unreadableFor(root: string): string {
  const files = [
    process.execPath,
    join(root, 'src/cli.ts'),
    join(root, 'node_modules/tsx/package.json'),
    join(root, 'node_modules/koffi/package.json'),
  ];
  const probe = spawnSync(
    setprivAs(65534, 65534)[0]!,
    [
      ...setprivAs(65534, 65534).slice(1),
      process.execPath,
      '-e',
      `for (const f of ${JSON.stringify(files)}) require('fs').accessSync(f, require('fs').constants.R_OK)`,
    ],
    { encoding: 'utf8' },
  );
  if (probe.error) return `setpriv could not run (${probe.error.message})`;
  return probe.status === 0 ? '' : (probe.stderr.match(/Error: (.*)/)?.[1] ?? probe.stderr.trim()) || `exit ${probe.status}`;
}

/** The installed packages `names` need, themselves included (dependencies and installed optional ones). */
function packageClosure(root: string, names: readonly string[]): string[] {
  const seen = new Set<string>();
  const visit = (name: string): void => {
    const dir = join(root, 'node_modules', name);
    if (seen.has(name) || !existsSync(join(dir, 'package.json'))) return;
    seen.add(name);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) visit(dep);
  };
  names.forEach(visit);
  return [...seen];
}

/**
 * The checkout other uids run the command line from: `root` itself when they can read it, else a
 * copy staged under `stagingDir` (which must be readable by all). Throws one line naming the
 * cause and the fix when even the copy cannot be read (node itself under a closed folder, say).
 */
export function checkoutForOtherUsers(root: string, stagingDir: string): string {
  if (!unreadableFor(root)) return root;
  const copy = join(stagingDir, 'checkout');
  for (const entry of SOURCES) cpSync(join(root, entry), join(copy, entry), { recursive: true });
  for (const name of packageClosure(root, RUNTIME_PACKAGES)) {
    mkdirSync(dirname(join(copy, 'node_modules', name)), { recursive: true });
    cpSync(join(root, 'node_modules', name), join(copy, 'node_modules', name), { recursive: true, dereference: true });
  }
  const still = unreadableFor(copy);
  if (still) {
    throw new Error(
      `the permission tests run ipc-lab as other uids, which cannot read what it needs (${still}): install Node.js outside any private ` +
        `folder (it is ${process.execPath}) and run the tests as root`,
    );
  }
  return copy;
}
