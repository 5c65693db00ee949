#!/bin/bash
# Removes what installer/install.sh installed (listed in the install
# manifest next to this script). Keeps /etc/coproc and the spool
# /var/spool/coproc (queued mail) unless --purge; keeps the system user
# coproc, as Debian does for system users.
#
#   PREFIX/share/coproc/uninstall.sh [--purge]
set -euo pipefail

purge=no
while [[ $# -gt 0 ]]; do
  case $1 in
    --purge) purge=yes; shift ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "uninstall.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
say() { echo "uninstall.sh: $*"; }
[[ $(id -u) -eq 0 ]] || { echo "uninstall.sh: must run as root" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
manifest="$here/install_manifest.txt"
[[ -f $manifest ]] || { echo "uninstall.sh: no $manifest: nothing installed by install.sh here" >&2; exit 1; }

if [[ -d /run/systemd/system ]]; then
  say "stopping and disabling coproc.socket and coproc.service"
  systemctl disable --now coproc.socket coproc.service || true
else
  systemctl disable coproc.socket coproc.service || true
fi

while IFS= read -r file; do
  [[ -n $file ]] || continue
  if [[ $file == /etc/coproc/* && $purge == no ]]; then
    say "keeping $file"
    continue
  fi
  rm -f -- "$file"
done <"$manifest"
# Folders the install created and left empty.
rmdir --ignore-fail-on-non-empty "$here" "$(dirname "$here")/doc/coproc" 2>/dev/null || true

if [[ $purge == yes ]]; then
  say "purging /etc/coproc and /var/spool/coproc"
  rm -rf /etc/coproc /var/spool/coproc
fi
if [[ -d /run/systemd/system ]]; then systemctl daemon-reload; fi
ldconfig
say "done"
