#!/bin/bash
# Installs coproc from a build tree on a systemd machine without dpkg:
# `cmake --install` plus what the Debian package's maintainer scripts do
# (system user, spool, config mode, enable and start the service).
#
#   installer/install.sh [--build-dir DIR] [--prefix PREFIX] [--no-start]
#
#   --build-dir  the configured and built tree (default: ./build)
#   --prefix     install prefix (default: /usr/local); the unit file is
#                written with the paths of this prefix
#   --no-start   install and enable, but do not start the service now
#
# Re-running it upgrades in place: /etc/coproc/coproc.conf is kept, a running
# service is restarted. Undo with PREFIX/share/coproc/uninstall.sh.
set -euo pipefail

build=build
prefix=/usr/local
start=yes
while [[ $# -gt 0 ]]; do
  case $1 in
    --build-dir) build=$2; shift 2 ;;
    --prefix) prefix=$2; shift 2 ;;
    --no-start) start=no; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

say() { echo "install.sh: $*"; }
[[ $(id -u) -eq 0 ]] || { echo "install.sh: must run as root" >&2; exit 1; }
[[ -f "$build/cmake_install.cmake" ]] || {
  echo "install.sh: '$build' is not a configured build tree (cmake -S . -B $build && cmake --build $build)" >&2
  exit 1
}
command -v systemd-sysusers >/dev/null || { echo "install.sh: systemd-sysusers not found: needs systemd" >&2; exit 1; }

say "installing files under $prefix"
cmake --install "$build" --prefix "$prefix"

share="$prefix/share/coproc"
install -d -m 0755 "$share"
install -m 0644 "$build/install_manifest.txt" "$share/install_manifest.txt"
install -m 0755 "$(dirname "$0")/uninstall.sh" "$share/uninstall.sh"
echo "$share/install_manifest.txt" >>"$share/install_manifest.txt"
echo "$share/uninstall.sh" >>"$share/install_manifest.txt"

say "creating the user coproc and /var/spool/coproc"
systemd-sysusers "$prefix/lib/sysusers.d/coproc.conf"
systemd-tmpfiles --create "$prefix/lib/tmpfiles.d/coproc.conf"
chown root:coproc /etc/coproc/coproc.conf
chmod 0640 /etc/coproc/coproc.conf
# The SMTP password's own file, loaded by coproc.service as the systemd
# credential smtp.password: empty until an administrator fills it.
[ -e /etc/coproc/smtp.password ] || install -m 0600 -o root -g root /dev/null /etc/coproc/smtp.password
ldconfig

units=("$prefix/lib/systemd/system/coproc.socket" "$prefix/lib/systemd/system/coproc.service")
case "$prefix" in
  /usr|/usr/local) ;;   # in systemd's unit search path
  *) say "linking the units into /etc/systemd/system"; systemctl link "${units[@]}" ;;
esac

if [[ -d /run/systemd/system ]]; then
  systemctl daemon-reload
  systemctl enable coproc.socket coproc.service
  if [[ $start == yes ]]; then
    # The socket unit keeps the endpoints open while the service restarts.
    systemctl start coproc.socket
    if systemctl is-active --quiet coproc.service; then
      say "restarting the running service"
      systemctl restart coproc.service
    else
      systemctl start coproc.service
    fi
    systemctl --no-pager --lines=0 status coproc.service || true
  fi
else
  say "systemd is not running: enabled coproc for the next boot"
  systemctl enable coproc.socket coproc.service
fi
say "done"
