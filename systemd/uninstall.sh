#!/bin/sh
# Remove the rec-tools systemd units. Recordings (/srv/rec) and the user are kept;
# the settings file is removed only if it is still the unchanged example.
#
#   sudo sh systemd/uninstall.sh [--destdir DIR]
#
# Environment: DESTDIR, SYSTEMCTL (":" skips every systemctl call).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
DESTDIR=${DESTDIR:-}
SYSTEMCTL=${SYSTEMCTL:-systemctl}
while [ $# -gt 0 ]; do
  case $1 in
    --destdir) DESTDIR=$2; shift 2 ;;
    --destdir=*) DESTDIR=${1#*=}; shift ;;
    -h|--help) sed -n '2,7s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "uninstall.sh: unknown option $1 (see --help)" >&2; exit 64 ;;
  esac
done

UNITS="rec-tools.target rec-pcm.socket rec-events.socket rec-capture.service rec-segment.service rec-sidecars.service rec-serve.service"
unitdir=$DESTDIR/etc/systemd/system
confdir=$DESTDIR/etc/rec-tools
say() { echo "uninstall.sh: $*"; }

use_systemctl=yes
if [ -n "$DESTDIR" ] || [ "$SYSTEMCTL" = ":" ] || [ ! -d /run/systemd/system ]; then use_systemctl=no; fi
# shellcheck disable=SC2086
[ $use_systemctl = no ] || $SYSTEMCTL disable --now --quiet $UNITS || true

for u in $UNITS; do
  if [ -e "$unitdir/$u" ]; then rm -f "$unitdir/$u"; say "removed $unitdir/$u"; fi
done
if [ -e "$DESTDIR/etc/tmpfiles.d/rec-tools.conf" ]; then
  rm -f "$DESTDIR/etc/tmpfiles.d/rec-tools.conf"; say "removed $DESTDIR/etc/tmpfiles.d/rec-tools.conf"
fi
if [ -e "$confdir/rec-tools.env" ]; then
  if cmp -s "$here/rec-tools.env" "$confdir/rec-tools.env"; then
    rm -f "$confdir/rec-tools.env"; say "removed $confdir/rec-tools.env (unchanged)"
  else
    say "kept $confdir/rec-tools.env (you changed it)"
  fi
fi
rmdir "$confdir" 2>/dev/null || true
[ $use_systemctl = no ] || $SYSTEMCTL daemon-reload
say "kept the recordings in $DESTDIR/srv/rec and the user rec (remove them yourself: userdel rec)"
