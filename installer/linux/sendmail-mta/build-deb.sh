#!/bin/sh
# Builds the optional package coproc-sendmail-mta (architecture all): the
# /usr/sbin/sendmail and /usr/lib/sendmail links to coproc-sendmail (and
# sendmail(8) to its man page), with
# Provides/Conflicts/Replaces: mail-transport-agent, as msmtp-mta and
# nullmailer do. The main package (cpack -G DEB) installs coproc-sendmail.
#
#   build-deb.sh OUTPUT_DIR VERSION [RELEASE]
#     -> OUTPUT_DIR/coproc-sendmail-mta_VERSION-RELEASE_all.deb
set -eu
out=$1
version=$2
release=${3:-1}
here=$(cd "$(dirname "$0")" && pwd)

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/DEBIAN" "$stage/usr/sbin" "$stage/usr/lib" \
  "$stage/usr/share/doc/coproc-sendmail-mta" "$stage/usr/share/man/man8"
ln -s ../bin/coproc-sendmail "$stage/usr/sbin/sendmail"
ln -s ../sbin/sendmail "$stage/usr/lib/sendmail"
ln -s ../man1/coproc-sendmail.1 "$stage/usr/share/man/man8/sendmail.8"
sed -e "s/@VERSION@/$version-$release/" -e "s/@UPSTREAM_VERSION@/$version/" \
  "$here/control.in" >"$stage/DEBIAN/control"
printf '%s\n' "coproc-sendmail-mta: /usr/sbin/sendmail is coproc-sendmail." \
  "See /usr/share/doc/coproc/sendmail.md (options, exit codes, PHP, cron, mailx)." \
  >"$stage/usr/share/doc/coproc-sendmail-mta/README"
chmod -R u=rwX,go=rX "$stage"
mkdir -p "$out"
dpkg-deb --root-owner-group -Zxz --build "$stage" \
  "$out/coproc-sendmail-mta_${version}-${release}_all.deb" >/dev/null
echo "$out/coproc-sendmail-mta_${version}-${release}_all.deb"
