#!/usr/bin/env bash
# scripts/soak.sh [CYCLES]: `make up` then `make down`, CYCLES times (default 50), checking after
# every cycle that the client printed the message, the server removed its segment and exited 0,
# and nothing of the compose project is left: no container, volume or network. Prints figures.
#
# Bounded: CYCLES cycles, each `make` under a 120 s timeout. Not part of the default test run
# (minutes, not seconds); CI runs it after the tests. Extra make variables pass through the
# environment (e.g. OFFLINE=1).
set -euo pipefail
cd "$(dirname "$0")/.."
cycles=${1:-50}
[[ $cycles =~ ^[0-9]+$ && $cycles -ge 1 ]] || { echo "soak: CYCLES must be a positive number, not '$cycles'" >&2; exit 2; }
project=${IPC_LAB_PROJECT:-ipc-lab}
log=$(mktemp)
trap 'rm -f "$log"; timeout 120 make --silent down >/dev/null 2>&1 || true' EXIT

leftovers() {
  local c v n
  c=$(docker ps -aq --filter "label=com.docker.compose.project=$project" | wc -l)
  v=$(docker volume ls -q --filter "label=com.docker.compose.project=$project" | wc -l)
  n=$(docker network ls -q --filter "label=com.docker.compose.project=$project" | wc -l)
  echo "$c $v $n"
}

timeout 120 make --silent down >/dev/null 2>&1 || true
times=()
failures=0
for ((i = 1; i <= cycles; i++)); do
  start=$(date +%s%N)
  ok=1
  timeout 120 make --silent up >"$log" 2>&1 && grep -q '^PI is defined as: 22/7==3.14286$' "$log" || { ok=0; echo "cycle $i: make up failed:"; tail -20 "$log"; }
  timeout 120 make --silent down >"$log" 2>&1 || { ok=0; echo "cycle $i: make down failed:"; tail -20 "$log"; }
  grep -q 'IPC_RMID, NULL) = 0' "$log" && grep -q 'server exited with code 0' "$log" || { ok=0; echo "cycle $i: the server did not remove its segment and exit 0:"; tail -20 "$log"; }
  read -r c v n < <(leftovers)
  if [[ "$c $v $n" != "0 0 0" ]]; then ok=0; echo "cycle $i: left behind: $c container(s), $v volume(s), $n network(s)"; fi
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  times+=("$ms")
  ((ok)) || failures=$((failures + 1))
  printf 'cycle %d/%d: %s in %d ms\n' "$i" "$cycles" "$( ((ok)) && echo ok || echo FAILED)" "$ms"
done

read -r c v n < <(leftovers)
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
total=$(printf '%s\n' "${times[@]}" | awk '{ s += $1 } END { print s }')
printf '\nsoak: %d cycles of make up + make down, %d failed; per cycle: min %d ms, median %d ms, max %d ms, total %.1f s\n' \
  "$cycles" "$failures" "$(head -1 <<<"$sorted")" "$(sed -n "$(( (cycles + 1) / 2 ))p" <<<"$sorted")" "$(tail -1 <<<"$sorted")" "$(awk -v t="$total" 'BEGIN { print t / 1000 }')"
printf 'soak: left behind at the end: %d containers, %d volumes, %d networks (segments live in the lab namespace, removed by the server each cycle)\n' "$c" "$v" "$n"
echo "$((cycles - failures)) passed, $failures failed"
((failures == 0)) && [[ "$c $v $n" == "0 0 0" ]]
