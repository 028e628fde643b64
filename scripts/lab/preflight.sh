#!/usr/bin/env bash
# scripts/lab/preflight.sh: what every lab target of the Makefile checks first, before it starts
# anything: the docker command, a Docker Engine that answers, and Compose v2. When the engine
# does not answer, it shows Docker's own error and tells the three causes apart: the engine is
# not running, this user may not use its socket (the docker group), or the docker context or
# DOCKER_HOST points at an engine that is not there. Env: COMPOSE (default "docker compose").
set -uo pipefail
read -r -a compose <<<"${COMPOSE:-docker compose}"

fail() { # fail WHAT FIX [DOCKER_SAID]
  printf 'error: %s\n' "$1" >&2
  [[ -n ${3:-} ]] && printf '  docker says: %s\n' "$3" >&2
  printf '  fix: %s\n' "$2" >&2
  exit 1
}

command -v docker >/dev/null \
  || fail "the docker command is missing" "install Docker Desktop (macOS, Windows) or Docker Engine (Linux): https://docs.docker.com/get-docker/, then run make again"

if ! said=$(docker info --format '{{.ServerVersion}}' 2>&1 >/dev/null); then
  said=$(printf '%s\n' "$said" | grep -v '^[[:space:]]*$' | head -n 3 | tr '\n' ' ' | sed 's/ *$//')
  case $said in
    *"permission denied"*)
      fail "this user may not use Docker: permission denied on the Docker socket" \
        "add yourself to the docker group: sudo usermod -aG docker \$USER, then log out and in again (or run 'newgrp docker' in this terminal), then run make again" "$said" ;;
    *"context not found"* | *"no such host"* | *"dial tcp"* | *"unable to resolve docker endpoint"*)
      fail "the docker context or DOCKER_HOST (${DOCKER_HOST:-not set}) points at an engine that is not there" \
        "'docker context ls' lists the contexts; 'docker context use default' picks the usual one, or unset DOCKER_HOST" "$said" ;;
    *) [[ -n ${DOCKER_HOST:-} ]] || fail "Docker is not running: docker info could not reach the engine" \
        "start Docker Desktop (macOS, Windows) and wait until it says the engine is running, or on Linux: sudo systemctl start docker; then run make again" "$said"
      fail "no Docker Engine answers at DOCKER_HOST=$DOCKER_HOST" \
        "start the engine there, or unset DOCKER_HOST to use the docker context ('docker context ls')" "$said" ;;
  esac
fi

"${compose[@]}" version >/dev/null 2>&1 \
  || fail "Compose v2 is missing ('${compose[*]} version' failed)" "Docker Desktop includes it; on Linux install the docker-compose-plugin package (the old docker-compose v1 is not enough)"
exit 0
