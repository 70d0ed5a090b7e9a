#!/bin/sh
# Install the rec-tools systemd units on a Raspberry Pi (or any systemd machine).
# Idempotent: running it again changes nothing; an existing settings file is kept.
#
#   sudo sh systemd/install.sh [--now] [--bindir DIR] [--destdir DIR]
#
# --bindir DIR   where rec-capture etc. are (default: found on PATH, else /usr/local/bin)
# --destdir DIR  install under DIR (packaging, tests): no user, no chown, no systemctl
# --now          also start the pipeline
# Environment: DESTDIR, BINDIR, SYSTEMCTL (":" skips every systemctl call), REC_USER.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
DESTDIR=${DESTDIR:-}
BINDIR=${BINDIR:-}
SYSTEMCTL=${SYSTEMCTL:-systemctl}
REC_USER=${REC_USER:-rec}
now=no
while [ $# -gt 0 ]; do
  case $1 in
    --destdir) DESTDIR=$2; shift 2 ;;
    --destdir=*) DESTDIR=${1#*=}; shift ;;
    --bindir) BINDIR=$2; shift 2 ;;
    --bindir=*) BINDIR=${1#*=}; shift ;;
    --now) now=yes; shift ;;
    -h|--help) sed -n '2,12s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 64 ;;
  esac
done

UNITS="rec-tools.target rec-pcm.socket rec-events.socket rec-capture.service rec-segment.service rec-sidecars.service rec-serve.service"
unitdir=$DESTDIR/etc/systemd/system
confdir=$DESTDIR/etc/rec-tools
tmpfilesdir=$DESTDIR/etc/tmpfiles.d
out=$DESTDIR/srv/rec

if [ -z "$BINDIR" ]; then
  if command -v rec-capture >/dev/null 2>&1; then BINDIR=$(dirname "$(command -v rec-capture)"); else BINDIR=/usr/local/bin; fi
fi
if [ -z "$DESTDIR" ] && [ ! -x "$BINDIR/rec-capture" ]; then
  echo "install.sh: $BINDIR/rec-capture not found: install rec-tools first (npm install -g rec-tools) or give --bindir" >&2
  exit 69
fi

say() { echo "install.sh: $*"; }

# Copy $1 to $2 with mode $3 unless $2 already has exactly that content.
put() {
  if [ -f "$2" ] && cmp -s "$1" "$2"; then return 0; fi
  mkdir -p "$(dirname "$2")"
  cp "$1" "$2.tmp.$$" && chmod "$3" "$2.tmp.$$" && mv -f "$2.tmp.$$" "$2"
  say "installed $2"
}

# The user the services run as: no login, no home, in group audio for the sound card.
if [ -z "$DESTDIR" ]; then
  if ! id "$REC_USER" >/dev/null 2>&1; then
    useradd --system --user-group --groups audio --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$REC_USER"
    say "created user $REC_USER (groups: $REC_USER, audio)"
  elif ! id -nG "$REC_USER" | tr ' ' '\n' | grep -qx audio; then
    usermod -a -G audio "$REC_USER"
    say "added $REC_USER to group audio"
  fi
fi

# Recordings: created once, never touched again (uninstall keeps them too).
if [ ! -d "$out" ]; then
  mkdir -p "$out" && chmod 0750 "$out"
  [ -n "$DESTDIR" ] || chown "$REC_USER:$REC_USER" "$out"
  say "created $out"
fi

# Settings: the example only when there is no file yet; a changed one is the user's.
# 0640 root:rec: it may hold REC_TOKEN; systemd reads it as root, rec-status users via group rec.
mkdir -p "$confdir"
if [ ! -e "$confdir/rec-tools.env" ]; then
  put "$here/rec-tools.env" "$confdir/rec-tools.env" 0640
  [ -n "$DESTDIR" ] || chgrp "$REC_USER" "$confdir/rec-tools.env"
else
  cmp -s "$here/rec-tools.env" "$confdir/rec-tools.env" || say "kept your $confdir/rec-tools.env (the example is $here/rec-tools.env)"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
for u in $UNITS; do
  sed "s#^ExecStart=/usr/local/bin/#ExecStart=$BINDIR/#" "$here/$u" > "$tmp/$u"
  put "$tmp/$u" "$unitdir/$u" 0644
done
put "$here/rec-tools.tmpfiles.conf" "$tmpfilesdir/rec-tools.conf" 0644

# systemctl only on a machine running systemd, for a real install.
if [ -n "$DESTDIR" ] || [ "$SYSTEMCTL" = ":" ] || [ ! -d /run/systemd/system ]; then
  say "not calling systemctl (DESTDIR set, SYSTEMCTL=: or systemd not running)"
  exit 0
fi
systemd-tmpfiles --create /etc/tmpfiles.d/rec-tools.conf
$SYSTEMCTL daemon-reload
# shellcheck disable=SC2086
$SYSTEMCTL enable --quiet $UNITS
if [ $now = yes ]; then
  $SYSTEMCTL start rec-tools.target
  say "started: systemctl status 'rec-*'"
else
  say "enabled; start now with: sudo systemctl start rec-tools.target"
fi
