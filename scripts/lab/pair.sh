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
interrupted=0

# A Ctrl-C reaches every process of the terminal's process group: this script handles it, and
# the docker commands it runs to look and to clean up must not die of it halfway.
shielded() { (trap '' INT; exec "$@"); }
service_of() { shielded docker inspect --format '{{index .Config.Labels "com.docker.compose.service"}}' "$1" 2>/dev/null; }
state_of() { shielded docker inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$1" 2>/dev/null || echo "gone 1"; }

print_logs() {
  for id in "${ids[@]}"; do
    echo
    echo "== what $(service_of "$id") printed (docker logs)"
    shielded docker logs "$id" 2>&1
  done
}

# Both containers go. After an interrupt the key volume goes too (unless a running lab uses it);
# after a normal end it stays, as the key file on it does, so the next run has the same key.
remove_all() {
  shielded "${compose[@]}" --profile "$profile" rm --force --stop "$first" "$second" >/dev/null 2>&1
  ((interrupted)) && { shielded docker volume rm "${project}_keys" >/dev/null 2>&1 || true; }
}
trap remove_all EXIT
trap 'interrupted=1' INT TERM HUP

echo "${compose[*]} --profile $profile up ${up_flags[*]} --force-recreate --detach $first $second"
if ! "${compose[@]}" --profile "$profile" up "${up_flags[@]}" --force-recreate --detach "$first" "$second"; then
  ((interrupted)) && { echo "make $profile was interrupted while it started: removing both sides" >&2; exit 130; }
  exit 1
fi
for service in "$first" "$second"; do
  id=$(shielded "${compose[@]}" --profile "$profile" ps --all --quiet "$service")
  [[ -n $id ]] || { echo "error: Compose started no $service container: see the output above" >&2; exit 1; }
  ids+=("$id")
done

# Both sides run; look every 0.2 s until both have ended.
failed="" failed_code=0
while :; do
  read -r s1 c1 <<<"$(state_of "${ids[0]}")"
  read -r s2 c2 <<<"$(state_of "${ids[1]}")"
  [[ $s1 != running && $s2 != running ]] && break
  if ((interrupted)); then
    echo >&2
    echo "interrupted: stopping $first and $second (SIGTERM: each removes what it owns), then what they said" >&2
    shielded docker stop --time 5 "${ids[@]}" >/dev/null 2>&1
    break
  fi
  if [[ -z $failed ]]; then
    if [[ $s1 != running && $c1 != 0 ]]; then failed=$first failed_code=$c1; fi
    if [[ $s2 != running && $c2 != 0 ]]; then failed=$second failed_code=$c2; fi
    if [[ -n $failed ]]; then
      other=$([[ $failed == "$first" ]] && echo "$second" || echo "$first")
      echo "$failed exited with code $failed_code: stopping $other, which would wait for it in vain" >&2
      shielded docker stop --time 5 "${ids[@]}" >/dev/null 2>&1
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
code=$(shielded docker inspect --format '{{.State.ExitCode}}' "${ids[1]}")
if [[ -n $failed ]]; then
  echo >&2
  echo "error: $failed exited with code $failed_code, so $other was stopped: $failed's last lines above say why." >&2
  exit "$failed_code"
fi
[[ $code == 0 ]] || echo "$second exited with code $code" >&2
exit "$code"
