#!/usr/bin/env bash
# scripts/ci/arm64.sh: prove the lab on linux/arm64 (what Apple Silicon Macs run) on an x86_64
# machine, through qemu-user emulation, with no network inside any container:
#   1. offline arm64 base, dev base and Node images (scripts/offline-images.sh --arch arm64)
#      and the arm64 npm packages (koffi, esbuild) in docker/npm-cache;
#   2. the arm64 lab image (ipc-lab:arm64) and test image (ipc-lab-test:arm64);
#   3. the System V tests inside an arm64 container: IPC_STAT of segments and semaphore sets
#      decoded by koffi against C probes compiled there, the struct layouts, the labs;
#   4. the end-to-end arm64 tests (test/e2e/arm64.test.ts): an arm64 lab, and an amd64 server
#      with an arm64 client sharing one segment.
# Needs a Docker Engine with qemu-aarch64 binfmt (scripts/ci/docker-engine.sh), root, and the
# npm packages installed on the host. Prints vitest's summaries; exits non-zero on a failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
export IPC_LAB_BASE_IMAGE=ipc-lab/base:offline-arm64 IPC_LAB_NODE_IMAGE=ipc-lab/node:offline-arm64 \
  IPC_LAB_TEST_BASE_IMAGE=ipc-lab/base:offline-dev-arm64 IPC_LAB_NPM_CI_FLAGS=--offline \
  IPC_LAB_BUILD_NETWORK=none IPC_LAB_IMAGE=ipc-lab:arm64 IPC_LAB_TEST_IMAGE=ipc-lab-test:arm64

bash scripts/offline-images.sh --arch arm64
bash scripts/npm-cache.sh --arch arm64

echo "arm64: building ipc-lab:arm64 and ipc-lab-test:arm64 (RUN steps under qemu)"
docker compose build server
docker compose --profile test build test
docker run --rm --network none --entrypoint uname "$IPC_LAB_IMAGE" -m | grep -qx aarch64

echo "arm64: the System V tests inside an arm64 container"
mkdir -p out
status=0
docker compose -p ipc-lab-test-arm64 --profile test run --rm test || status=1
docker compose -p ipc-lab-test-arm64 --profile test down --volumes --remove-orphans >/dev/null 2>&1 || true

echo "arm64: end to end under emulation"
unset IPC_LAB_BASE_IMAGE IPC_LAB_NODE_IMAGE IPC_LAB_TEST_BASE_IMAGE IPC_LAB_IMAGE IPC_LAB_TEST_IMAGE
IPC_LAB_ARM64_IMAGE=ipc-lab:arm64 OFFLINE=1 node_modules/.bin/vitest run --project arm64 || status=1
exit "$status"
