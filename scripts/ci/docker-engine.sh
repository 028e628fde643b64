#!/usr/bin/env bash
# scripts/ci/docker-engine.sh: get a working Docker Engine + Compose v2 on a bare Debian 12
# (bookworm) machine as root, without systemd: the kind of machine CI and the developers use.
#
# Why: those machines have only a `docker` client and no registry access; CI starts from a
# fresh machine and must install and start everything itself. This script is idempotent: it
# installs only what is missing, starts dockerd only if `docker info` does not answer, and
# registers qemu-aarch64 binfmt only if it is not registered yet (so arm64 images can run).
#
#  - apt (bookworm): docker.io mmdebstrap qemu-user-static gcc libc6-dev gcc-aarch64-linux-gnu
#    (the struct layout test cross-checks aarch64) gdb util-linux strace procps make (with
#    their Recommends, as in the recipe seen working: arch-test, uidmap, ...)
#  - Compose v2: bookworm has none, so take ONLY the `docker-compose` package from trixie,
#    with the trixie source pinned at priority 100 (an unpinned trixie source would upgrade
#    libc6 and dpkg on the host). See shared ENVIRONMENT.md.
#  - dockerd: started in the background (log: /var/log/dockerd.log), readiness polled ~60 s.
#
# Usage: bash scripts/ci/docker-engine.sh        (as root; env DOCKERD_WAIT=seconds)
set -euo pipefail

log() { printf '[docker-engine] %s\n' "$*"; }
die() { printf '[docker-engine] ERROR: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root (installs packages and starts dockerd)"
command -v apt-get >/dev/null || die "apt-get not found: this script is for Debian 12 (bookworm)"

export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1  # no needrestart prompts/noise
DOCKERD_LOG=/var/log/dockerd.log
DOCKERD_WAIT=${DOCKERD_WAIT:-60}
t0=$SECONDS

pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'; }

# --- 1. apt packages from bookworm -----------------------------------------------------------
APT_PKGS=(docker.io mmdebstrap qemu-user-static gcc libc6-dev gcc-aarch64-linux-gnu gdb util-linux strace procps make
          chromium)  # chromium: `make handouts` prints PDFs, a test reads the rendered HTML
missing=()
for p in "${APT_PKGS[@]}"; do pkg_installed "$p" || missing+=("$p"); done
if ((${#missing[@]})); then
  log "installing: ${missing[*]}"
  apt-get update -q
  apt-get install -y -q "${missing[@]}"
else
  log "apt packages already installed: ${APT_PKGS[*]}"
fi

# --- 2. Compose v2: the one docker-compose package from trixie, pinned low -------------------
if docker compose version >/dev/null 2>&1; then
  log "Compose v2 already present"
else
  log "installing Compose v2 (docker-compose from trixie, pinned at priority 100)"
  cat > /etc/apt/sources.list.d/trixie.sources <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n' > /etc/apt/preferences.d/trixie-low
  apt-get update -q
  dl=$(mktemp -d)
  # `apt-get download` fetches just that .deb (as user _apt, so let it write the folder);
  # dpkg -i refuses (instead of upgrading libc6) if a dependency were not satisfied.
  chown _apt "$dl" 2>/dev/null || true
  (cd "$dl" && apt-get download -q docker-compose/trixie)
  dpkg -i "$dl"/docker-compose_*.deb
  rm -rf "$dl"
  docker compose version >/dev/null 2>&1 \
    || die "docker-compose installed but 'docker compose' does not work (client: $(command -v docker))"
fi

# --- 3. dockerd ------------------------------------------------------------------------------
DOCKERD_CMD=(dockerd)
DOCKERD_PIDFILE=/var/run/docker.pid
CONTAINERD_PIDFILE=/var/run/docker/containerd/containerd.pid

# live_proc PIDFILE NAME: PIDFILE names a running (not zombie) process called NAME
live_proc() {
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ && $(cat "/proc/$pid/comm" 2>/dev/null) == "$2" ]] || return 1
  ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null
}
dockerd_alive() {
  live_proc "$DOCKERD_PIDFILE" dockerd && return 0
  [[ -n ${dockerd_pid:-} ]] && live_proc <(echo "$dockerd_pid") dockerd
}
start_dockerd() {
  # A dockerd/containerd killed uncleanly (as at the end of a session) leaves pid files behind:
  # dockerd then refuses to start (pid reused) or waits for a dead containerd (a zombie not yet
  # reaped) until it times out. Drop pid files that do not name a live process.
  local f
  for f in "$DOCKERD_PIDFILE:dockerd" "$CONTAINERD_PIDFILE:containerd"; do
    if [[ -f ${f%:*} ]] && ! live_proc "${f%:*}" "${f##*:}"; then
      log "removing stale ${f%:*}"; rm -f "${f%:*}"
    fi
  done
  log "starting dockerd in the background (log: $DOCKERD_LOG)"
  # setsid: own session, so dockerd outlives this script and its caller's terminal/job.
  setsid nohup "${DOCKERD_CMD[@]}" </dev/null >>"$DOCKERD_LOG" 2>&1 &
  dockerd_pid=$!
}

if docker info >/dev/null 2>&1; then
  log "dockerd already answers"
else
  if dockerd_alive; then
    log "dockerd is running (pid $(cat "$DOCKERD_PIDFILE")) but not answering yet: waiting"
  else
    : >"$DOCKERD_LOG"
    start_dockerd
  fi
  ready=0 retried=0
  for ((i = 0; i < DOCKERD_WAIT; i++)); do
    if docker info >/dev/null 2>&1; then ready=1; break; fi
    if ! dockerd_alive; then
      log "dockerd exited; last lines of $DOCKERD_LOG:"
      tail -n 15 "$DOCKERD_LOG" >&2 || true
      ((retried)) && break
      retried=1
      log "retrying once"
      start_dockerd
    fi
    sleep 1
  done
  if ((!ready)); then
    log "dockerd did not answer within ${i}s; last lines of $DOCKERD_LOG:"
    tail -n 40 "$DOCKERD_LOG" >&2 || true
    die "dockerd is not ready"
  fi
  log "dockerd ready after ${i}s"
fi

# --- 4. qemu-aarch64 binfmt (to run linux/arm64 images through emulation) ---------------------
BINFMT=/proc/sys/fs/binfmt_misc
if [[ ! -e $BINFMT/register ]]; then
  log "mounting binfmt_misc"
  mount -t binfmt_misc binfmt_misc "$BINFMT" || die "cannot mount binfmt_misc on $BINFMT"
fi
if [[ $(uname -m) == aarch64 ]]; then
  log "host is aarch64: no emulation needed"
elif [[ -e $BINFMT/qemu-aarch64 ]]; then
  log "qemu-aarch64 binfmt already registered"
else
  conf=/usr/lib/binfmt.d/qemu-aarch64.conf
  [[ -r $conf ]] || die "$conf missing (package qemu-user-static)"
  log "registering qemu-aarch64 binfmt from $conf"
  cat "$conf" > "$BINFMT/register" || die "could not register qemu-aarch64 binfmt"
  [[ -e $BINFMT/qemu-aarch64 ]] || die "qemu-aarch64 binfmt not registered after writing $BINFMT/register"
fi

# --- 5. report -------------------------------------------------------------------------------
docker version --format 'docker client {{.Client.Version}} (API {{.Client.APIVersion}}), engine {{.Server.Version}} (API {{.Server.APIVersion}}, {{.Server.Os}}/{{.Server.Arch}})'
docker compose version
log "done in $((SECONDS - t0))s"
