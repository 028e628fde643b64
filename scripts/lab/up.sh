#!/usr/bin/env bash
# scripts/lab/up.sh: what `make up` does. Starts the lab detached (the server, then the client
# once the server's healthcheck says the message is ready), waits for the client and prints
# what it said. A server that dies before it is ready has its last lines printed here, not only
# in `make logs`; a Ctrl-C while the lab starts removes what was started. Nothing is left
# half-started either way. Env: COMPOSE, UP_FLAGS, START_INTERVAL (the Makefile's).
set -uo pipefail
read -r -a compose <<<"${COMPOSE:-docker compose}"
read -r -a up_flags <<<"${UP_FLAGS---build}"
# bash 3.2 (macOS) calls an empty array unbound under set -u: UP_FLAGS= (make load) leaves none.
flags=${up_flags[*]+"${up_flags[*]} "}
project=${IPC_LAB_PROJECT:-ipc-lab}

# A Ctrl-C reaches every process of the terminal's process group: this script handles it, and
# the docker commands it runs to clean up must not die of it halfway.
shielded() { (trap '' INT; exec "$@"); }
remove_lab() { shielded "${compose[@]}" --profile '*' down --volumes --remove-orphans --timeout 5 >/dev/null 2>&1; }

interrupted() {
  trap '' INT TERM
  echo >&2
  echo "make up was interrupted before the lab was up: removing what it started (make down)" >&2
  remove_lab
  echo "removed: nothing of the lab is left; run make up again when you are ready" >&2
  exit 130
}
trap interrupted INT TERM HUP

# Engine 25 and later (API 1.44) can check health every 0.2 s while the server starts: then add
# compose.start-interval.yaml, through COMPOSE_FILE so that the command shown stays the same.
api=$(docker version --format '{{.Server.APIVersion}}' 2>/dev/null)
if [[ ${START_INTERVAL:-auto} != 0 ]] && awk -v v="$api" 'BEGIN { split(v, a, "."); exit !(a[1] > 1 || (a[1] == 1 && a[2] >= 44)) }'; then
  root=$(cd "$(dirname "$0")/../.." && pwd)
  export COMPOSE_FILE="${COMPOSE_FILE:-$root/compose.yaml}:$root/compose.start-interval.yaml"
fi

# A running live view (make view) sits in the server's IPC namespace: the new server makes a new
# one, so the view is recreated with it (the page reconnects by itself).
# It keeps the address it was published on (make view VIEW_PORT=... said where).
profiles=()
view=$(shielded "${compose[@]}" --profile view ps --status running --quiet view 2>/dev/null)
if [[ -n $view ]]; then
  profiles=(--profile view)
  read -r bind port < <(docker inspect --format '{{range $p, $b := .HostConfig.PortBindings}}{{range $b}}{{.HostIp}} {{.HostPort}}{{end}}{{end}}' "$view" 2>/dev/null)
  [[ -n ${port:-} ]] && export VIEW_BIND=$bind VIEW_PORT=$port
  echo "the live view runs (make view): it is recreated with the server, in the server's new IPC namespace, at http://localhost:${VIEW_PORT:-8080}/"
fi
echo "${compose[*]} ${profiles[*]+${profiles[*]} }up ${flags}--force-recreate --detach"
if ! "${compose[@]}" ${profiles[@]+"${profiles[@]}"} up ${up_flags[@]+"${up_flags[@]}"} --force-recreate --detach; then
  server=$("${compose[@]}" ps --all --quiet server 2>/dev/null)
  if [[ -n $server && $(docker inspect --format '{{.State.Status}}' "$server" 2>/dev/null) == exited ]]; then
    code=$(docker inspect --format '{{.State.ExitCode}}' "$server")
    echo >&2
    echo "== the server's last lines (docker compose logs --tail 12 server)" >&2
    "${compose[@]}" logs --no-log-prefix --no-color --tail 12 server >&2 2>&1
    echo >&2
    echo "error: the server exited with code $code before the message was ready, so the client never ran: its last lines above say why." >&2
  else
    echo "error: the lab did not start (see Compose's message above)." >&2
  fi
  remove_lab
  echo "  The half-started lab is removed; fix what the message says, then make up again." >&2
  exit 1
fi
# From here the lab is up: a Ctrl-C only stops the waiting.
trap 'echo >&2; echo "interrupted: the lab is up; make logs shows what the client printed, make down removes it" >&2; exit 130' INT TERM HUP

client=""
for try in 1 2 3 4 5; do # a look cut short by a Ctrl-C is looked at again
  client=$(shielded "${compose[@]}" ps --all --quiet client 2>/dev/null) && [[ -n $client ]] && break
  sleep 0.1
done
[[ -n $client ]] || { echo "error: Compose started no client container in project $project: see the output above" >&2; exit 1; }
code=$(docker wait "$client")
docker logs "$client"
if [[ $code != 0 ]]; then
  echo "The client exited with code $code: see 'make logs'." >&2
  exit 1
fi
echo
echo "The server is still up and holds the segment: try 'make inspect', then 'make down'."
