import { defineConfig } from 'vitest/config';

// Two projects: `sysv` makes real System V calls (Linux only: on macOS and Windows the test
// runner, scripts/test.mjs, runs it inside a Linux container), `e2e` drives Docker from the host.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'sysv',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
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
