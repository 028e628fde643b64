#!/usr/bin/env bash
# scripts/lab/check-vars.sh TARGET NAME...: the make variables a lab target passes into its
# containers, checked before any container starts, so that a wrong value is named as the
# student typed it (STEP, not the server's --step) with what it accepts, instead of a
# container that dies with a message only `make logs` shows. The programs check again.
set -uo pipefail
target=$1
shift
status=0
bad() { # bad NAME WHAT
  printf 'error: %s is "%s": %s, as in make %s %s\n' "$1" "${!1}" "$2" "$target" "$3" >&2
  status=2
}
seconds() { [[ ${!1} =~ ^[0-9]+(\.[0-9]+)?$ ]] && awk -v v="${!1}" 'BEGIN { exit !(v <= 3600) }'; }
# bytes NAME: prints the size in bytes of 4096, 64KiB, 256MiB, 1GiB (and k, m, g), or fails
bytes() {
  local v=${!1} n unit
  [[ $v =~ ^([0-9]+)[[:space:]]*([kKmMgG]?([iI][bB])?)$ ]] || return 1
  n=${BASH_REMATCH[1]} unit=$(printf '%s' "${BASH_REMATCH[2]:0:1}" | tr 'kmg' 'KMG')
  case $unit in '') echo "$n" ;; K) echo $((n << 10)) ;; M) echo $((n << 20)) ;; G) echo $((n << 30)) ;; esac
}

for name in "$@"; do
  [[ -n ${!name+set} ]] || continue
  case $name in
    STEP) seconds STEP || bad STEP 'give the seconds the server pauses after each field, from 0 to 3600' 'STEP=1' ;;
    RACE_SECONDS) seconds RACE_SECONDS || bad RACE_SECONDS 'give how long the reader reads, in seconds from 0 to 3600' 'RACE_SECONDS=3' ;;
    UNSAFE) [[ $UNSAFE == 0 || $UNSAFE == 1 ]] || bad UNSAFE 'give 1 to run without the lock, or 0' 'UNSAFE=1' ;;
    DESIGN) [[ $DESIGN == textbook || $DESIGN == batched ]] || bad DESIGN 'give textbook (one P and one V a message) or batched (head and tail in the segment)' 'DESIGN=batched' ;;
    RING_BYTES)
      n=$(bytes RING_BYTES) || { bad RING_BYTES 'give a size such as 4096, 64KiB, 256MiB or 1GiB' 'RING_BYTES=64MiB'; continue; }
      ((n > 0)) || bad RING_BYTES 'give a size above 0' 'RING_BYTES=64MiB' ;;
    RING_SLOT_SIZE)
      n=$(bytes RING_SLOT_SIZE) || { bad RING_SLOT_SIZE 'give a size such as 4KiB or 64KiB' 'RING_SLOT_SIZE=4KiB'; continue; }
      ((n >= 1 && n <= 16 << 20)) || bad RING_SLOT_SIZE 'give 1 byte to 16MiB' 'RING_SLOT_SIZE=4KiB' ;;
    QUEUE_JOBS)
      [[ $QUEUE_JOBS =~ ^[0-9]+$ ]] && ((10#$QUEUE_JOBS >= 1 && 10#$QUEUE_JOBS <= 10000)) ||
        bad QUEUE_JOBS 'give how many jobs the dispatcher sends, a whole number from 1 to 10000' 'QUEUE_JOBS=20' ;;
    QUEUE_DELAY)
      [[ $QUEUE_DELAY =~ ^[0-9]+(\.[0-9]+)?$ ]] && awk -v v="$QUEUE_DELAY" 'BEGIN { exit !(v <= 10) }' ||
        bad QUEUE_DELAY "give the seconds worker 2 takes over each job, from 0 to 10" 'QUEUE_DELAY=1' ;;
    POSIX_SIZE)
      n=$(bytes POSIX_SIZE) || { bad POSIX_SIZE 'give a size such as 1024, 64KiB or 8MiB' 'POSIX_SIZE=4KiB'; continue; }
      ((n >= 80 && n <= 1 << 30)) || bad POSIX_SIZE 'give 80 bytes (the message) to 1GiB' 'POSIX_SIZE=4KiB' ;;
    VIEW_PORT)
      [[ $VIEW_PORT =~ ^[0-9]+$ ]] && ((10#$VIEW_PORT >= 1 && 10#$VIEW_PORT <= 65535)) ||
        bad VIEW_PORT 'give a TCP port from 1 to 65535' 'VIEW_PORT=8081' ;;
    VIEW_BIND)
      [[ $VIEW_BIND =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ || $VIEW_BIND =~ ^[0-9a-fA-F:]*:[0-9a-fA-F:]*$ ]] ||
        bad VIEW_BIND 'give an IP address: 127.0.0.1 (this machine only) or 0.0.0.0 (every network it is on)' 'VIEW_BIND=0.0.0.0' ;;
    *) echo "check-vars: no rule for $name" >&2; status=70 ;;
  esac
done
exit "$status"
