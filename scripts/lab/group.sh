#!/usr/bin/env bash
# scripts/lab/group.sh PROFILE SERVICE...: what `make race`, `make ring` and `make queue` do.
# Starts every side detached, waits for all of them, then prints what each printed, one after the
# other (Compose's attached `up` interleaves them, and Compose 2.26 once lost every line of a
# sub-second run).
#   - A side that fails (a non-zero exit) while others still run: the others are stopped at once
#     (SIGTERM, so each cleans up), rather than left to wait out their timeouts for a peer that
#     is gone; the failed side is named with its exit code.
#   - Ctrl-C (or SIGTERM, SIGHUP): every side is stopped the same way, and what they said up to
#     then is printed before they are removed.
# Either way every container is removed, and after an interrupt the lab's key volume too.
# Exits with the failed side's code, or 130 after an interrupt, or 0 when every side exited 0.
set -uo pipefail
profile=$1
shift
services=("$@")
read -r -a compose <<<"${COMPOSE:-docker compose}"
read -r -a up_flags <<<"${UP_FLAGS---build}"
# bash 3.2 (macOS) calls an empty array unbound under set -u: UP_FLAGS= (make load) leaves none.
flags=${up_flags[*]+"${up_flags[*]} "}
project=${IPC_LAB_PROJECT:-ipc-lab}
ids=()
states=()
codes=()
interrupted=0
# "a", "a and b", "a, b and c": the sides, as the messages name them.
names() {
  local out="" i
  for ((i = 1; i <= $#; i++)); do
    if ((i == 1)); then out=${!i}; elif ((i == $#)); then out="$out and ${!i}"; else out="$out, ${!i}"; fi
  done
  printf '%s' "$out"
}
all=$(names "${services[@]}")
if ((${#services[@]} == 2)); then every="both sides"; else every="all ${#services[@]} sides"; fi

# A Ctrl-C reaches every process of the terminal's process group: this script handles it, and
# the docker commands it runs to look and to clean up ignore it. Their output goes through a
# file, not $(...): a signal that arrives while bash reads a command substitution cuts the
# reading short, and the look would come back empty.
shielded() { (trap '' INT; exec "$@"); }
scratch=$(mktemp)
look() { # look VAR COMMAND...: VAR is what COMMAND printed (its first line), or empty
  local _look_var=$1 _look_line=""
  shift
  shielded "$@" >"$scratch" 2>/dev/null && IFS= read -r _look_line <"$scratch"
  printf -v "$_look_var" '%s' "$_look_line"
}
# look_all: states[i] and codes[i] for every side ("unknown" when docker could not say).
# bash 3.2, as macOS has: no namerefs, no associative arrays.
look_all() {
  local i line
  for i in "${!ids[@]}"; do
    look line docker inspect --format '{{.State.Status}} {{.State.ExitCode}}' "${ids[i]}"
    [[ -n $line ]] || line="unknown 0"
    states[i]=${line%% *}
    codes[i]=${line##* }
  done
}
# none_in STATE...: no side is in any of the given states (running, unknown) any more.
none_in() {
  local s bad
  for s in "${states[@]}"; do
    for bad in "$@"; do [[ $s == "$bad" ]] && return 1; done
  done
  return 0
}
container_of() { # container_of SERVICE VAR: its container, looked for a few times
  local _try
  for _try in 1 2 3 4 5; do
    look "$2" "${compose[@]}" --profile "$profile" ps --all --quiet "$1"
    [[ -n ${!2} ]] && return
    sleep 0.1
  done
}
# stop_all: SIGTERM to every side (each removes what it owns), until none runs any more.
stop_all() {
  local try
  for try in 1 2 3; do
    shielded docker stop --time 5 "${ids[@]}" >/dev/null 2>&1
    look_all
    none_in running unknown && return
  done
}

print_logs() {
  local i
  for i in "${!ids[@]}"; do
    echo
    echo "== what ${services[i]} printed (docker logs)"
    shielded docker logs "${ids[i]}" 2>&1
  done
}

# The containers go. After an interrupt the key volume goes too (unless a running lab uses it);
# after a normal end it stays, as the key file on it does, so the next run has the same key.
remove_all() {
  shielded "${compose[@]}" --profile "$profile" rm --force --stop "${services[@]}" >/dev/null 2>&1
  ((interrupted)) && { shielded docker volume rm "${project}_keys" >/dev/null 2>&1 || true; }
  rm -f "$scratch"
}
trap remove_all EXIT
trap 'interrupted=1' INT TERM HUP

# While the live view runs (make view), the race and the ring run where it looks: in the server's
# IPC namespace (compose.view.yaml), next to the server that is already there (--no-deps).
no_deps=()
if [[ $profile == race || $profile == ring ]] && [[ -n $(shielded "${compose[@]}" --profile view ps --status running --quiet view 2>/dev/null) ]]; then
  root=$(cd "$(dirname "$0")/../.." && pwd)
  export COMPOSE_FILE="${COMPOSE_FILE:-$root/compose.yaml}:$root/compose.view.yaml"
  no_deps=(--no-deps)
  echo "the live view runs (make view): the $profile lab joins the server's IPC namespace, where the view looks"
fi
echo "${compose[*]} --profile $profile up ${flags}${no_deps[*]+${no_deps[*]} }--force-recreate --detach ${services[*]}"
if ! "${compose[@]}" --profile "$profile" up ${up_flags[@]+"${up_flags[@]}"} ${no_deps[@]+"${no_deps[@]}"} --force-recreate --detach "${services[@]}"; then
  ((interrupted)) && { echo "make $profile was interrupted while it started: removing $every" >&2; exit 130; }
  exit 1
fi
for service in "${services[@]}"; do
  id=""
  container_of "$service" id
  [[ -n $id ]] || { echo "error: Compose started no $service container: see the output above" >&2; exit 1; }
  ids+=("$id")
done

# Every side runs; look every 0.2 s until all have ended.
failed="" failed_code=0
while :; do
  if ((interrupted)); then
    echo >&2
    echo "interrupted: stopping $all (SIGTERM: each removes what it owns), then what they said" >&2
    stop_all
    break
  fi
  look_all
  if ! none_in unknown; then sleep 0.2; continue; fi
  none_in running && break
  if [[ -z $failed ]]; then
    for i in "${!ids[@]}"; do
      if [[ ${states[i]} != running && ${codes[i]} != 0 ]]; then
        failed=${services[i]} failed_code=${codes[i]}
        break
      fi
    done
    if [[ -n $failed ]]; then
      others=()
      for service in "${services[@]}"; do [[ $service == "$failed" ]] || others+=("$service"); done
      if ((${#others[@]} == 1)); then verb=was; else verb=were; fi
      stopped=$(names "${others[@]}")
      echo "$failed exited with code $failed_code: stopping $stopped, which would wait for it in vain" >&2
      stop_all
    fi
  fi
  sleep 0.2
done

print_logs
if ((interrupted)); then
  echo >&2
  echo "make $profile was interrupted: $every stopped, their output is above; removing their containers" >&2
  exit 130
fi
if [[ -n $failed ]]; then
  echo >&2
  echo "error: $failed exited with code $failed_code, so $stopped $verb stopped: $failed's last lines above say why." >&2
  exit "$failed_code"
fi
look_all
for i in "${!ids[@]}"; do
  if [[ ${codes[i]} != 0 ]]; then
    echo "${services[i]} exited with code ${codes[i]}" >&2
    exit "${codes[i]}"
  fi
done
exit 0
