#!/usr/bin/env bash
# scripts/ci/docker-engine.sh [--engine modern|bookworm]: a working Docker Engine with Compose v2
# on a bare Debian 12 (bookworm) machine as root, without systemd: the kind of machine CI and the
# developers use. Then `source scripts/ci/docker-env.sh ENGINE` points the docker CLI at it.
#
#   modern (default)  what users run now: Docker Engine 28.5, containerd 2.1, Compose 2.40 and
#                     buildx 0.29 (so builds go through Bake), from Debian sid. Their .debs are
#                     only unpacked (dpkg-deb -x) into /opt/docker-sid, never installed: installing
#                     them would pull sid's libc6 onto the host. Each needs only libc6 >= 2.34.
#                     dockerd runs with bookworm's runc 1.1 and keeps its data in /var/lib/docker-sid.
#   bookworm          the old toolchain CI also keeps proving: bookworm's docker.io (Engine 20.10)
#                     and Compose 2.26, the one docker-compose package taken from trixie.
#
# Why: those machines have only a `docker` client and no registry access; CI starts from a
# fresh machine and must install and start everything itself. Idempotent: it installs only what
# is missing, stops a dockerd of the other engine, starts this one only if `docker info` does not
# answer, and registers qemu-aarch64 binfmt only if it is not registered yet (for arm64 images).
#
#  - apt (bookworm): docker.io (runc, containerd, iptables for both engines) mmdebstrap
#    qemu-user-static gcc libc6-dev gcc-aarch64-linux-gnu libc6-dev-arm64-cross (the layout tests
#    cross-check aarch64) gdb util-linux strace procps make chromium
#  - Compose 2.26 for bookworm: only `docker-compose` from trixie, with the trixie source pinned
#    at priority 100 (an unpinned trixie source would upgrade libc6 and dpkg on the host).
#  - dockerd: started in the background (log: /var/log/dockerd-ENGINE.log), readiness polled.
#
# Usage: bash scripts/ci/docker-engine.sh [--engine modern|bookworm]   (as root; env DOCKERD_WAIT=seconds)
set -euo pipefail

log() { printf '[docker-engine] %s\n' "$*"; }
die() { printf '[docker-engine] ERROR: %s\n' "$*" >&2; exit 1; }

ENGINE=modern
while (($#)); do
  case $1 in
    --engine) ENGINE=${2:?--engine needs modern or bookworm}; shift 2 ;;
    --engine=*) ENGINE=${1#--engine=}; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
[[ $ENGINE == modern || $ENGINE == bookworm ]] || die "--engine is '$ENGINE': give modern or bookworm"
[[ $(id -u) -eq 0 ]] || die "run as root (installs packages and starts dockerd)"
command -v apt-get >/dev/null || die "apt-get not found: this script is for Debian 12 (bookworm)"

export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1  # no needrestart prompts/noise
DOCKERD_LOG=/var/log/dockerd-$ENGINE.log
DOCKERD_WAIT=${DOCKERD_WAIT:-60}
t0=$SECONDS

pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'; }

# --- 1. apt packages from bookworm -----------------------------------------------------------
APT_PKGS=(docker.io mmdebstrap qemu-user-static gcc libc6-dev gcc-aarch64-linux-gnu libc6-dev-arm64-cross gdb util-linux
          strace procps make chromium)  # chromium: `make handouts` prints PDFs, a test reads the rendered HTML
missing=()
for p in "${APT_PKGS[@]}"; do pkg_installed "$p" || missing+=("$p"); done
if ((${#missing[@]})); then
  log "installing: ${missing[*]}"
  apt-get update -q
  apt-get install -y -q "${missing[@]}"
else
  log "apt packages already installed: ${APT_PKGS[*]}"
fi

# --- 2. Compose 2.26 for bookworm: the one docker-compose package from trixie, pinned low -----
if [[ $ENGINE == modern ]]; then
  :
elif pkg_installed docker-compose; then
  log "Compose v2 (trixie's docker-compose) already installed"
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
fi

# --- 2b. the modern toolchain from sid, unpacked beside bookworm ------------------------------
SID_ROOT=/opt/docker-sid
SID_PACKAGES=(docker.io docker-cli containerd docker-compose docker-buildx tini-static)
if [[ $ENGINE == modern ]]; then
  if [[ -x $SID_ROOT/usr/sbin/dockerd && -x $SID_ROOT/usr/libexec/docker/cli-plugins/docker-buildx ]]; then
    log "the sid toolchain is already unpacked in $SID_ROOT"
  else
    log "downloading ${SID_PACKAGES[*]} from sid (apt with a sources list of its own: the host's apt is untouched)"
    apt_dir=$(mktemp -d) && chmod 755 "$apt_dir"  # apt downloads as user _apt
    mkdir -p "$apt_dir"/lists/partial "$apt_dir"/cache/archives/partial "$apt_dir"/debs
    echo 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main' > "$apt_dir/sources.list"
    sid_apt=(-o "Dir::Etc::sourcelist=$apt_dir/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache")
    apt-get "${sid_apt[@]}" update -q >/dev/null
    chown _apt "$apt_dir/debs" 2>/dev/null || true
    (cd "$apt_dir/debs" && apt-get "${sid_apt[@]}" download -q "${SID_PACKAGES[@]}" >/dev/null)
    rm -rf "$SID_ROOT" && mkdir -p "$SID_ROOT"
    for deb in "$apt_dir"/debs/*.deb; do dpkg-deb -x "$deb" "$SID_ROOT"; done
    rm -rf "$apt_dir"
  fi
  mkdir -p "$SID_ROOT-config/cli-plugins"
  ln -sf "$SID_ROOT"/usr/libexec/docker/cli-plugins/docker-{compose,buildx} "$SID_ROOT-config/cli-plugins/"
fi
# shellcheck source=scripts/ci/docker-env.sh
source "$(dirname "$0")/docker-env.sh" "$ENGINE"
docker compose version >/dev/null 2>&1 || die "'docker compose' does not work (client: $(command -v docker))"

# --- 3. dockerd ------------------------------------------------------------------------------
if [[ $ENGINE == modern ]]; then
  DOCKERD_CMD=("$SID_ROOT/usr/sbin/dockerd" --data-root /var/lib/docker-sid)
else
  DOCKERD_CMD=(/usr/sbin/dockerd)
fi
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

# The other engine's dockerd, if it runs, gives way (both listen on /var/run/docker.sock).
if live_proc "$DOCKERD_PIDFILE" dockerd && [[ $(readlink "/proc/$(cat "$DOCKERD_PIDFILE")/exe") != "$(readlink -f "${DOCKERD_CMD[0]}")" ]]; then
  old=$(cat "$DOCKERD_PIDFILE")
  log "stopping the other engine's dockerd (pid $old, $(readlink "/proc/$old/exe"))"
  kill "$old"
  for ((i = 0; i < 30; i++)); do live_proc "$DOCKERD_PIDFILE" dockerd || break; sleep 1; done
  live_proc "$DOCKERD_PIDFILE" dockerd && die "dockerd (pid $old) did not stop"
  # its containerd goes with it; wait until the socket is free
  for ((i = 0; i < 15; i++)); do [[ -S /var/run/docker/containerd/containerd.sock ]] || break; sleep 1; done
fi
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
docker buildx version 2>/dev/null || log "no buildx: Compose builds through the engine's BuildKit"
log "done in $((SECONDS - t0))s"
