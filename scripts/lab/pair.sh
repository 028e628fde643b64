#!/usr/bin/env bash
# scripts/lab/pair.sh PROFILE FIRST SECOND: what `make race` and `make ring` do. Starts both sides
# detached, waits for both, then prints what each printed, one after the other (Compose's
# attached `up` interleaves them, and Compose 2.26 once lost every line of a sub-second run).
#   - A side that fails (a non-zero exit) while the other still runs: the other is stopped at
#     once (SIGTERM, so it cleans up), rather than left to wait out its timeout for a peer that
#     is gone; the failed side is named with its exit code.
#   - Ctrl-C (or SIGTERM, SIGHUP): both sides are stopped the same way, and what they said up to
#     then is printed before they are removed.
# Either way both containers are removed, and after an interrupt the lab's key volume too.
# Exits with SECOND's code, or the failed side's, or 130 after an interrupt.
set -uo pipefail
profile=$1 first=$2 second=$3
read -r -a compose <<<"${COMPOSE:-docker compose}"
read -r -a up_flags <<<"${UP_FLAGS---build}"
project=${IPC_LAB_PROJECT:-ipc-lab}
ids=()
services=("$first" "$second")
interrupted=0

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
state_of() { # state_of ID STATUS_VAR CODE_VAR (bash 3.2, as macOS has: no namerefs)
  local _state_line
  look _state_line docker inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$1"
  [[ -n $_state_line ]] || _state_line="unknown 0"
  printf -v "$2" '%s' "${_state_line%% *}"
  printf -v "$3" '%s' "${_state_line##* }"
}
container_of() { # container_of SERVICE VAR: its container, looked for a few times
  local _try
  for _try in 1 2 3 4 5; do
    look "$2" "${compose[@]}" --profile "$profile" ps --all --quiet "$1"
    [[ -n ${!2} ]] && return
    sleep 0.1
  done
}
# stop_both: SIGTERM to both sides (each removes what it owns), until neither runs any more.
stop_both() {
  local try s1 s2 c1 c2
  for try in 1 2 3; do
    shielded docker stop --time 5 "${ids[@]}" >/dev/null 2>&1
    state_of "${ids[0]}" s1 c1
    state_of "${ids[1]}" s2 c2
    [[ $s1 != running && $s1 != unknown && $s2 != running && $s2 != unknown ]] && return
  done
}

print_logs() {
  local i
  for i in 0 1; do
    echo
    echo "== what ${services[i]} printed (docker logs)"
    shielded docker logs "${ids[i]}" 2>&1
  done
}

# Both containers go. After an interrupt the key volume goes too (unless a running lab uses it);
# after a normal end it stays, as the key file on it does, so the next run has the same key.
remove_all() {
  shielded "${compose[@]}" --profile "$profile" rm --force --stop "$first" "$second" >/dev/null 2>&1
  ((interrupted)) && { shielded docker volume rm "${project}_keys" >/dev/null 2>&1 || true; }
  rm -f "$scratch"
}
trap remove_all EXIT
trap 'interrupted=1' INT TERM HUP

echo "${compose[*]} --profile $profile up ${up_flags[*]} --force-recreate --detach $first $second"
if ! "${compose[@]}" --profile "$profile" up "${up_flags[@]}" --force-recreate --detach "$first" "$second"; then
  ((interrupted)) && { echo "make $profile was interrupted while it started: removing both sides" >&2; exit 130; }
  exit 1
fi
for service in "$first" "$second"; do
  id=""
  container_of "$service" id
  [[ -n $id ]] || { echo "error: Compose started no $service container: see the output above" >&2; exit 1; }
  ids+=("$id")
done

# Both sides run; look every 0.2 s until both have ended.
failed="" failed_code=0
while :; do
  if ((interrupted)); then
    echo >&2
    echo "interrupted: stopping $first and $second (SIGTERM: each removes what it owns), then what they said" >&2
    stop_both
    break
  fi
  state_of "${ids[0]}" s1 c1
  state_of "${ids[1]}" s2 c2
  if [[ $s1 == unknown || $s2 == unknown ]]; then sleep 0.2; continue; fi
  [[ $s1 != running && $s2 != running ]] && break
  if [[ -z $failed ]]; then
    if [[ $s1 != running && $c1 != 0 ]]; then failed=$first failed_code=$c1; fi
    if [[ $s2 != running && $c2 != 0 ]]; then failed=$second failed_code=$c2; fi
    if [[ -n $failed ]]; then
      other=$([[ $failed == "$first" ]] && echo "$second" || echo "$first")
      echo "$failed exited with code $failed_code: stopping $other, which would wait for it in vain" >&2
      stop_both
    fi
  fi
  sleep 0.2
done

print_logs
if ((interrupted)); then
  echo >&2
  echo "make $profile was interrupted: both sides stopped, their output is above; removing their containers" >&2
  exit 130
fi
state_of "${ids[1]}" s2 code
if [[ -n $failed ]]; then
  echo >&2
  echo "error: $failed exited with code $failed_code, so $other was stopped: $failed's last lines above say why." >&2
  exit "$failed_code"
fi
[[ $code == 0 ]] || echo "$second exited with code $code" >&2
exit "$code"
