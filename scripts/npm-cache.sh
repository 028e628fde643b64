#!/usr/bin/env bash
# scripts/npm-cache.sh: fill docker/npm-cache with every npm package the image build needs, on
# the host, so that `npm ci --offline` inside `docker build` needs no network at all.
#
# Why: the host reaches the npm registry, but containers may not (workshop rooms with bad wifi,
# our CI behind a proxy only the host trusts). koffi and esbuild ship their native code as one
# optional package per platform, so the cache is filled for each target arch through npm's
# --os/--cpu options.
#
# Usage: scripts/npm-cache.sh [--arch amd64|arm64]...   (default: this machine's arch)
set -euo pipefail
cd "$(dirname "$0")/.."
cache=$PWD/docker/npm-cache
arches=()
while (($#)); do
  case $1 in
    --arch) arches+=("${2:?--arch needs amd64 or arm64}"); shift 2 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "npm-cache: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
((${#arches[@]})) || arches=("$(case $(uname -m) in aarch64|arm64) echo arm64 ;; *) echo amd64 ;; esac)")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp package.json package-lock.json "$work/"
for arch in "${arches[@]}"; do
  case $arch in amd64) cpu=x64 ;; arm64) cpu=arm64 ;; *) echo "npm-cache: unknown arch $arch (amd64|arm64)" >&2; exit 2 ;; esac
  echo "npm-cache: linux/$cpu packages into docker/npm-cache"
  (cd "$work" && rm -rf node_modules && npm ci --os=linux --cpu="$cpu" --cache "$cache" --ignore-scripts --no-audit --no-fund --loglevel=warn)
  # Which lockfile this cache holds, for this arch: the Makefile refills it when the lockfile changes.
  cp package-lock.json "$cache/.lock-$arch"
done
du -sh "$cache" | awk '{print "npm-cache: " $1 " in docker/npm-cache"}'
