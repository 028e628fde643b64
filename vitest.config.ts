import { defineConfig } from 'vitest/config';

// Two projects: `sysv` makes real System V calls (Linux only: on macOS and Windows the test
// runner, scripts/test.mjs, runs it inside a Linux container), `e2e` drives Docker from the host
// and checks the handouts. A third, `arm64`, needs ipc-lab:arm64: only scripts/ci/arm64.sh
// builds it and runs it, so the README's test command (scripts/test.mjs) names the first two.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'sysv',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**', 'test/handouts/**', 'test/repo/**'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'e2e',
          // The handouts' tests too: they run on the host (make, docker, a browser), and their
          // checker drives the same lab as the end-to-end tests, so one at a time with them.
          // And the checks of the repository as a whole (test/repo: the README, the layers), which
          // read files that only the host's checkout has.
          include: ['test/e2e/**/*.test.ts', 'test/handouts/**/*.test.ts', 'test/repo/**/*.test.ts'],
          exclude: ['test/e2e/arm64.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
      {
        // Needs ipc-lab:arm64, built offline by scripts/ci/arm64.sh, which runs this project.
        test: {
          name: 'arm64',
          include: ['test/e2e/arm64.test.ts'],
          testTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
