#!/usr/bin/env bash
# scripts/bench-up.sh [RUNS]: how long a warm `make up` takes, from the command to the message
# on screen, RUNS times each way in one run (default 10), alternating:
#   - as make up runs it (START_INTERVAL=auto: the server's healthcheck every 0.2 s while it
#     starts, where the engine is 25 or later; the same as the baseline elsewhere);
#   - the baseline, START_INTERVAL=0: a healthcheck every 1 s from the start.
# Warm: the image is built and the build cache full, so `--build` only checks. Prints the
# median, min and max of each and their ratio; `make down` at the end. A benchmark, not a test.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
[[ $runs =~ ^[0-9]+$ && $runs -ge 1 ]] || { echo "bench-up: RUNS must be a positive number, not '$runs'" >&2; exit 2; }
log=$(mktemp)
trap 'rm -f "$log"; make --silent down >/dev/null 2>&1 || true' EXIT

# ms_to_message START_INTERVAL: one make up; prints the milliseconds until the message appeared.
ms_to_message() {
  local start now
  start=$(date +%s%N)
  : >"$log"
  make --silent up START_INTERVAL="$1" >"$log" 2>&1 &
  local pid=$!
  until grep -q '^PI is defined as: 22/7==3.14286$' "$log"; do
    if ! kill -0 "$pid" 2>/dev/null; then wait "$pid" || true; echo "bench-up: make up failed:" >&2; tail -20 "$log" >&2; return 1; fi
    sleep 0.01
  done
  now=$(date +%s%N)
  wait "$pid"
  echo $(((now - start) / 1000000))
}

stats() { sort -n | awk '{ v[NR] = $1 } END { printf "%d %d %d\n", v[int((NR + 1) / 2)], v[1], v[NR] }'; }

api=$(docker version --format '{{.Server.APIVersion}}')
engine=$(docker version --format '{{.Server.Version}}')
compose=$(docker compose version --short)
echo "bench-up: $runs warm make up each way, Docker Engine $engine (API $api), Compose $compose, $(nproc) CPUs"
echo "bench-up: warming up (build cache, first start)"
make --silent up >/dev/null 2>&1
fast=() slow=()
for ((i = 1; i <= runs; i++)); do
  fast+=("$(ms_to_message auto)")
  slow+=("$(ms_to_message 0)")
  printf '  run %d: %s ms (make up), %s ms (healthcheck every 1 s)\n' "$i" "${fast[-1]}" "${slow[-1]}"
done
read -r fm fmin fmax < <(printf '%s\n' "${fast[@]}" | stats)
read -r sm smin smax < <(printf '%s\n' "${slow[@]}" | stats)
if awk -v v="$api" 'BEGIN { split(v, a, "."); exit !(a[1] > 1 || (a[1] == 1 && a[2] >= 44)) }'; then
  how="start_interval 0.2 s (Engine 25+)"
else
  how="no start_interval: Engine $engine is older than 25, so both runs are the same"
fi
printf '\nwarm make up to the message, median (min..max) of %d:\n' "$runs"
printf '  %-62s %5d ms (%d..%d)\n' "make up, $how" "$fm" "$fmin" "$fmax"
printf '  %-62s %5d ms (%d..%d)\n' "baseline, a healthcheck every 1 s from the start" "$sm" "$smin" "$smax"
awk -v f="$fm" -v s="$sm" 'BEGIN { printf "  make up takes %.2fx the baseline'"'"'s time\n", f / s }'
