#!/bin/bash
# Boots the cached Debian root (scripts/system-rootfs) with systemd as PID 1 in
# a systemd-nspawn container and runs commands inside it. The root is never
# modified: the container writes to a tmpfs overlay (--volatile=overlay) and
# everything it wrote is gone when it stops.
#
#   container.sh boot STATE_DIR [--bind[-ro] HOST:CONTAINER]...
#       boots, waits until systemd reports running/degraded, records the
#       nspawn pid and the container's PID 1 in STATE_DIR; prints PID 1.
#   container.sh exec STATE_DIR COMMAND...
#       runs COMMAND inside the container (all namespaces of its PID 1) with a
#       clean environment; exit status and output are COMMAND's.
#   container.sh stop STATE_DIR
#       powers the container off (SIGTERM to nspawn), SIGKILL after a deadline.
#       Always safe to call, also when boot failed half-way. It also happens
#       by itself when the process that booted the container (the caller of
#       `boot`, or $COPROC_CONTAINER_OWNER) exits without calling it.
set -uo pipefail

die() { echo "container.sh: $*" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)

leader_of() {  # the container's systemd: a descendant of nspawn named systemd
  local nspawn=$1 pid
  for pid in $(ps -o pid= --ppid "$nspawn" 2>/dev/null); do
    if [[ $(cat /proc/$pid/comm 2>/dev/null) == systemd ]]; then echo "$pid"; return 0; fi
  done
  return 1
}

in_container() {
  local leader=$1; shift
  nsenter -t "$leader" -a env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 TERM=dumb "$@"
}

cmd_boot() {
  local state=$1; shift
  local binds=()
  while [[ $# -gt 0 ]]; do
    case $1 in
      --bind-ro) binds+=("--bind-ro=$2"); shift 2 ;;
      --bind) binds+=("--bind=$2"); shift 2 ;;
      *) die "unknown boot option $1" ;;
    esac
  done
  mkdir -p "$state"
  local root
  root=$("$here/../../scripts/system-rootfs") || die "no root file system"
  local name
  name="coproc-$(basename "$state" | tr -c 'a-zA-Z0-9-\n' '-' | cut -c1-40)"
  # setsid: the container must not get the terminal signals of the test.
  setsid systemd-nspawn --quiet --boot --register=no --keep-unit \
    --directory="$root" --volatile=overlay --machine="$name" \
    --console=passive "${binds[@]}" >"$state/console.log" 2>&1 </dev/null &
  local nspawn=$!
  echo "$nspawn" >"$state/nspawn.pid"
  # Should the process that booted the container die without stopping it
  # (a test killed by its ctest timeout), a watcher powers the container off.
  local owner=${COPROC_CONTAINER_OWNER:-$PPID}
  setsid bash -c 'while kill -0 "$2" 2>/dev/null && kill -0 "$3" 2>/dev/null; do sleep 1; done
                  exec "$0" stop "$1"' "$here/container.sh" "$state" "$owner" "$nspawn" \
    </dev/null >/dev/null 2>&1 &

  local leader="" i
  for i in $(seq 1 300); do   # up to 30 s for PID 1 to appear
    kill -0 "$nspawn" 2>/dev/null || { cat "$state/console.log" >&2; die "nspawn exited during boot"; }
    leader=$(leader_of "$nspawn") && break
    sleep 0.1
  done
  [[ -n $leader ]] || die "no systemd inside the container after 30 s"
  echo "$leader" >"$state/leader.pid"

  # is-system-running --wait returns once start-up finished (running or
  # degraded); until systemd's private bus socket exists it cannot connect.
  local status="" deadline=$((SECONDS + 120))
  while ((SECONDS < deadline)); do
    kill -0 "$nspawn" 2>/dev/null || { cat "$state/console.log" >&2; die "nspawn exited during boot"; }
    status=$(in_container "$leader" timeout 60 systemctl is-system-running --wait 2>&1)
    case $status in
      running|degraded) echo "$leader"; return 0 ;;
      # "offline" came back once in a while right after the leader appeared
      # (two of 13 boots in one CI run; systemctl's answer while it sees no
      # manager it can use yet): ask again, within the same deadline.
      offline|*"Failed to connect to bus"*) sleep 0.1 ;;
      *) die "container did not finish booting: '$status'" ;;
    esac
  done
  die "container did not finish booting in 120 s: '$status'"
}

cmd_exec() {
  local state=$1; shift
  local leader
  leader=$(cat "$state/leader.pid" 2>/dev/null) || die "container in $state is not booted"
  in_container "$leader" "$@"
}

cmd_stop() {
  local state=$1 nspawn
  nspawn=$(cat "$state/nspawn.pid" 2>/dev/null) || return 0
  if kill -0 "$nspawn" 2>/dev/null; then
    kill -TERM "$nspawn" 2>/dev/null   # nspawn asks the container's systemd to power off
    local i
    for i in $(seq 1 150); do kill -0 "$nspawn" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$nspawn" 2>/dev/null; then
      echo "container.sh: container did not power off in 15 s, killing it" >&2
      local leader; leader=$(cat "$state/leader.pid" 2>/dev/null)
      [[ -n ${leader:-} ]] && kill -KILL "$leader" 2>/dev/null
      kill -KILL "$nspawn" 2>/dev/null
      for i in $(seq 1 50); do kill -0 "$nspawn" 2>/dev/null || break; sleep 0.1; done
    fi
  fi
  rm -f "$state/nspawn.pid" "$state/leader.pid"
}

[[ $# -ge 2 ]] || die "usage: container.sh boot|exec|stop STATE_DIR ..."
verb=$1; shift
case $verb in
  boot) cmd_boot "$@" ;;
  exec) cmd_exec "$@" ;;
  stop) cmd_stop "$@" ;;
  *) die "unknown command $verb" ;;
esac
