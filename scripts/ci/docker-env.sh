# shellcheck shell=bash
# scripts/ci/docker-env.sh modern|bookworm: source it to point the docker CLI, Compose and buildx
# at the toolchain scripts/ci/docker-engine.sh installed and started:
#   modern    /opt/docker-sid (Docker 28.5 CLI, Compose 2.40, buildx) first on PATH, and its
#             DOCKER_CONFIG with the two CLI plugins;
#   bookworm  the host's docker CLI and the system's Compose 2.26 plugin (no DOCKER_CONFIG).
_ipc_lab_path=":$PATH:"
_ipc_lab_path=${_ipc_lab_path//:\/opt\/docker-sid\/usr\/bin:/:}
_ipc_lab_path=${_ipc_lab_path//:\/opt\/docker-sid\/usr\/sbin:/:}
_ipc_lab_path=${_ipc_lab_path#:}
_ipc_lab_path=${_ipc_lab_path%:}
case ${1:-modern} in
  modern)
    export PATH="/opt/docker-sid/usr/bin:/opt/docker-sid/usr/sbin:$_ipc_lab_path"
    export DOCKER_CONFIG=/opt/docker-sid-config ;;
  bookworm)
    export PATH="$_ipc_lab_path"
    unset DOCKER_CONFIG ;;
  *) echo "docker-env.sh: give modern or bookworm, not '$1'" >&2; return 2 ;;
esac
unset _ipc_lab_path
