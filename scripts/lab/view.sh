#!/usr/bin/env bash
# scripts/lab/view.sh: what `make view` does. Starts the live view detached (and the server, whose
# IPC namespace it joins, if none runs), waits until it answers, prints its address, then shows
# what it logs until Ctrl-C. Ctrl-C stops and removes the view; the rest of the lab keeps
# running (make down removes everything). Env: COMPOSE, UP_FLAGS, VIEW_PORT, VIEW_BIND.
set -uo pipefail
read -r -a compose <<<"${COMPOSE:-docker compose}"
read -r -a up_flags <<<"${UP_FLAGS---build}"
# bash 3.2 (macOS) calls an empty array unbound under set -u: UP_FLAGS= (make load) leaves none.
flags=${up_flags[*]+"${up_flags[*]} "}
port=${VIEW_PORT:-8080}
bind=${VIEW_BIND:-127.0.0.1}
url="http://localhost:$port/"

shielded() { (trap '' INT; exec "$@"); }
scratch=$(mktemp)
# What ran before: a view that fails to start takes with it only what it started itself.
before=$(shielded "${compose[@]}" --profile '*' ps --all --quiet 2>/dev/null)
remove_view() {
  if [[ -z $before ]]; then
    shielded "${compose[@]}" --profile '*' down --volumes --remove-orphans --timeout 5 >/dev/null 2>&1
  else
    shielded "${compose[@]}" --profile view rm --force --stop view >/dev/null 2>&1
  fi
  rm -f "$scratch"
}
trap 'echo >&2; echo "make view was interrupted while it started: removing the view" >&2; remove_view; exit 130' INT TERM HUP

# A server that runs (make up) is joined as it is, never recreated (--no-deps): recreating it
# would end its demonstration and make a new IPC namespace. Without one, Compose starts it as
# make up would (the faster healthcheck on Engine 25 and later).
deps=()
if [[ -n $(shielded "${compose[@]}" ps --status running --quiet server 2>/dev/null) ]]; then
  deps=(--no-deps)
else
  api=$(docker version --format '{{.Server.APIVersion}}' 2>/dev/null)
  if [[ ${START_INTERVAL:-auto} != 0 ]] && awk -v v="$api" 'BEGIN { split(v, a, "."); exit !(a[1] > 1 || (a[1] == 1 && a[2] >= 44)) }'; then
    root=$(cd "$(dirname "$0")/../.." && pwd)
    export COMPOSE_FILE="${COMPOSE_FILE:-$root/compose.yaml}:$root/compose.start-interval.yaml"
  fi
fi
echo "${compose[*]} --profile view up ${flags}${deps[*]+${deps[*]} }--detach --wait view"
if ! "${compose[@]}" --profile view up ${up_flags[@]+"${up_flags[@]}"} ${deps[@]+"${deps[@]}"} --detach --wait view 2> >(tee "$scratch" >&2); then
  sleep 0.2 # the tee above may still be writing
  if grep -qiE 'port is already allocated|address already in use' "$scratch"; then
    echo "error: port $port on $bind is taken by another program: make view VIEW_PORT=8081 (any free port)" >&2
  else
    echo "error: the view did not start (see Compose's message above); make logs shows what the lab printed" >&2
  fi
  remove_view
  exit 1
fi

echo
echo "the live view: $url   (projector mode: ${url}?projector=1, or press p)"
if [[ $bind != 127.0.0.1 ]]; then
  echo "warning: published on $bind, not only on this machine: anyone who reaches it can watch the lab (read-only)"
fi
echo "it shows what runs in the lab's IPC namespace: make up STEP=1, make race UNSAFE=1, make ring (in another terminal)"
echo "Ctrl-C stops the view; the server keeps running until make down"
echo
echo "== what the view prints (docker compose logs --follow view)"
stopped() {
  trap '' INT TERM HUP
  echo
  echo "stopping the view (docker compose rm --stop view); the server keeps running: make down removes it"
  shielded "${compose[@]}" --profile view rm --force --stop view >/dev/null 2>&1
  rm -f "$scratch"
  exit 0
}
trap stopped INT TERM HUP
running_view() { shielded "${compose[@]}" --profile view ps --status running --quiet view 2>/dev/null; }
while :; do
  "${compose[@]}" --profile view logs --follow --no-log-prefix --no-color view &
  wait $!
  # The logs end with the container. make up recreates the view with its new server: then follow
  # the new one. Otherwise (make down, docker stop) the view is gone for good.
  again=""
  for ((try = 0; try < 60; try++)); do # 30 s: a slow Docker Desktop takes a while to recreate it
    again=$(running_view)
    [[ -n $again ]] && break
    # No view and no server container at all: make down removed the lab, nothing will come back.
    [[ -z $(shielded "${compose[@]}" --profile '*' ps --all --quiet view server 2>/dev/null) ]] && break
    sleep 0.5
  done
  [[ -n $again ]] || break
  echo
  echo "== the view was recreated with a new server (make up): what it prints"
done
echo "the view has stopped"
rm -f "$scratch"
