#!/usr/bin/env bash
# scripts/ci/arm64.sh: prove the lab on linux/arm64 (what Apple Silicon Macs run) on an x86_64
# machine, through qemu-user emulation, with no network inside any container. Under emulation
# runs only what the architecture changes:
#   1. the offline arm64 base and Node images (scripts/offline-images.sh --arch arm64 --no-dev:
#      no compiler under emulation, the slowest image to make) and the arm64 npm packages;
#   2. the arm64 lab image (ipc-lab:arm64), and a test image from the same npm layer, without gcc;
#   3. the C probes cross-compiled here (aarch64-linux-gnu-gcc), mounted into the test container;
#   4. inside an arm64 container: IPC_STAT of segments and semaphore sets decoded by koffi against
#      those probes, sembuf and timespec encoding, the contract's layout as gcc lays it out there,
#      the race and ring labs (arm64's weaker memory model) and C/TypeScript interop;
#   5. end to end (test/e2e/arm64.test.ts): an arm64 lab, and an amd64 server with an arm64 client.
# Struct layouts for both arches are already checked on the host (gcc and the aarch64 cross gcc,
# test/libc/structs.test.ts, test/labs/registry.test.ts); usage and formatting do not depend on it.
# Needs a Docker Engine with qemu-aarch64 binfmt (scripts/ci/docker-engine.sh), root, the npm
# packages on the host, and ipc-lab:latest (amd64) for the mixed test. Prints each part's time
# and vitest's summaries; exits non-zero on a failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
export IPC_LAB_BASE_IMAGE=ipc-lab/base:offline-arm64 IPC_LAB_NODE_IMAGE=ipc-lab/node:offline-arm64 \
  IPC_LAB_TEST_BASE_IMAGE=ipc-lab/base:offline-arm64 IPC_LAB_TEST_COMPILERS=0 IPC_LAB_NPM_CI_FLAGS=--offline \
  IPC_LAB_BUILD_NETWORK=none IPC_LAB_IMAGE=ipc-lab:arm64 IPC_LAB_TEST_IMAGE=ipc-lab-test:arm64
# What depends on the architecture (see above); everything else runs natively in the other stages.
ARCH_TESTS=(test/labs/message/contract.test.ts test/sysv/shm.test.ts test/sysv/sem.test.ts test/sysv/sem-prepared.test.ts
  test/labs/message/codec.test.ts test/labs/message/interop.test.ts test/labs/race/race.test.ts test/labs/ring/ring.test.ts
  test/sysv/msg.test.ts test/labs/queue/queue.test.ts test/posix/shm.test.ts)
part() { printf 'arm64 (%ss): %s\n' "$SECONDS" "$*"; }

part "offline arm64 images and npm packages"
bash scripts/offline-images.sh --arch arm64 --no-dev
bash scripts/npm-cache.sh --arch arm64

part "building ipc-lab:arm64 and ipc-lab-test:arm64 (RUN steps under qemu)"
docker compose build server
docker compose --profile test build test
docker run --rm --network none --entrypoint uname "$IPC_LAB_IMAGE" -m | grep -qx aarch64

part "the C probes, cross-compiled here"
mkdir -p out
node --import tsx scripts/ci/cross-probes.ts aarch64-linux-gnu-gcc out/arm64-probes

part "the System V tests that depend on the architecture, inside an arm64 container"
status=0
# IPC_LAB_EMULATED: every instruction goes through qemu here, so the tests' few latency bounds
# (a signal noticed within a quarter of a second) get the room emulation needs.
docker compose -p ipc-lab-test-arm64 --profile test run --rm -e IPC_LAB_PREBUILT_C=/src/out/arm64-probes -e IPC_LAB_EMULATED=1 test "${ARCH_TESTS[@]}" || status=1
docker compose -p ipc-lab-test-arm64 --profile test down --volumes --remove-orphans >/dev/null 2>&1 || true

part "end to end under emulation"
unset IPC_LAB_BASE_IMAGE IPC_LAB_NODE_IMAGE IPC_LAB_TEST_BASE_IMAGE IPC_LAB_TEST_COMPILERS IPC_LAB_IMAGE IPC_LAB_TEST_IMAGE
IPC_LAB_ARM64_IMAGE=ipc-lab:arm64 OFFLINE=1 node_modules/.bin/vitest run --project arm64 || status=1
part "done"
exit "$status"
