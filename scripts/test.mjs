#!/usr/bin/env node
// The README's test command (npm test / make test): installs what is missing, then runs vitest.
//
// The System V tests call a Linux libc, so they run where one is:
//   - Linux as root: on this machine, inside a fresh IPC namespace (unshare --ipc), so they
//     cannot touch, or be touched by, any segment of the machine;
//   - macOS, Windows, or Linux without root: inside a Linux container (the Dockerfile's `test`
//     stage, compose profile `test`), which has an IPC namespace of its own.
// The end-to-end tests always run here, on the host, driving the real Docker Engine.
// Extra arguments go to vitest (e.g. `npm test -- test/format.test.ts`).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const isWindows = process.platform === 'win32';

function run(cmd, cmdArgs, options = {}) {
  const result = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', shell: isWindows, ...options });
  if (result.error) {
    console.error(`test: could not run ${cmd}: ${result.error.message}`);
    return 127;
  }
  return result.status ?? 1;
}

if (!existsSync(new URL('../node_modules/vitest/vitest.mjs', import.meta.url))) {
  console.log('test: installing npm packages (npm ci) ...');
  const code = run('npm', ['ci', '--no-audit', '--no-fund']);
  if (code !== 0) process.exit(code);
}

// Types first: vitest strips them without checking. The exercises are a project of their own
// (exercises/tsconfig.json: they import the lab through package.json's "imports").
for (const project of ['.', 'exercises']) {
  const code = run(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', project], { shell: false });
  if (code !== 0) {
    console.error(`test: the TypeScript does not type-check (tsc --noEmit -p ${project}): fix that first`);
    process.exit(code);
  }
}

// Then the formatter and the linter (Biome, biome.json): the code keeps one style and one width.
{
  const code = run(process.execPath, ['node_modules/@biomejs/biome/bin/biome', 'check', '--no-errors-on-unmatched'], { shell: false });
  if (code !== 0) {
    console.error('test: the code is not formatted or linted as biome.json says: `npx biome check --write` fixes most of it');
    process.exit(code);
  }
}

// vitest's own entry run by this node: no shell, no .cmd shim, the same on Windows.
const vitest = [process.execPath, 'node_modules/vitest/vitest.mjs', 'run', '--passWithNoTests'];
const canUnshare = process.platform === 'linux' && process.getuid?.() === 0 && spawnSync('unshare', ['--ipc', 'true']).status === 0;
const where = process.env.IPC_LAB_SYSV_TESTS ?? (canUnshare ? 'host' : 'container');

// Each vitest run also writes a JSON report, so the last line can count every test.
mkdirSync(new URL('../out', import.meta.url), { recursive: true });
const reports = [];
const reportArgs = (name) => {
  const file = `out/vitest-${name}.json`;
  rmSync(new URL(`../${file}`, import.meta.url), { force: true });
  reports.push(file);
  return ['--reporter=default', '--reporter=json', `--outputFile.json=${file}`];
};

let code;
if (where === 'host') {
  console.log('test: System V tests here in a fresh IPC namespace, end-to-end tests against Docker');
  // Only the projects this command can build for itself: `arm64` needs an arm64 image that only
  // scripts/ci/arm64.sh builds (npm test -- --project arm64 asks for it explicitly).
  const projects = args.some((a) => a === '--project' || a.startsWith('--project=')) ? [] : ['--project', 'sysv', '--project', 'e2e'];
  const all = [...vitest, ...projects, ...reportArgs('all'), ...args];
  code = canUnshare ? run('unshare', ['--ipc', '--', ...all]) : run(all[0], all.slice(1), { shell: false });
} else {
  console.log(
    `test: System V tests in a Linux container (this host: ${process.platform}, ${process.getuid?.() === 0 ? 'root' : 'not root'}), ` +
      `end-to-end tests here`,
  );
  // A project of its own: the test container must not touch a lab that may be running.
  const compose = ['compose', '--project-name', 'ipc-lab-test', '--profile', 'test'];
  const sysv = run('docker', [...compose, 'run', '--rm', '--build', 'test', '--passWithNoTests', ...reportArgs('sysv'), ...args]);
  run('docker', [...compose, 'down', '--volumes', '--remove-orphans'], { stdio: 'ignore' });
  // IPC_LAB_E2E=0 runs only the container half (CI uses it to check this path on Linux).
  const e2e =
    process.env.IPC_LAB_E2E === '0'
      ? 0
      : run(vitest[0], [...vitest.slice(1), '--project', 'e2e', ...reportArgs('e2e'), ...args], { shell: false });
  code = sysv !== 0 ? sysv : e2e;
}

let passed = 0;
let failed = 0;
for (const file of reports) {
  try {
    const report = JSON.parse(readFileSync(new URL(`../${file}`, import.meta.url), 'utf8'));
    passed += report.numPassedTests;
    failed += report.numFailedTests;
  } catch {
    console.error(`test: no report in ${file}: that run did not finish`);
    if (code === 0) code = 1;
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(code);
