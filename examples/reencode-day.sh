#!/bin/sh
# Re-encode a day at another bitrate (say, to archive it smaller): every finished
# recording of DAY_DIR is decoded and encoded again into OUT_DIR; the originals
# stay as they are. Partials (events still recording) are skipped.
#   examples/reencode-day.sh rec/2026-11-26 small/2026-11-26 16
set -eu
[ $# -ge 2 ] || { echo "usage: $0 DAY_DIR OUT_DIR [KBPS]" >&2; exit 64; }
bin=$(cd "$(dirname "$0")/../bin" && pwd)
mkdir -p "$2"
for f in "$1"/*.opus; do
  [ -e "$f" ] || continue
  case $f in *.partial.opus) continue ;; esac
  node "$bin/rec-capture.js" --input "$f" |
    node "$bin/rec-opus-stream.js" --bitrate "${3:-16}" "$2/$(basename "$f")" >/dev/null
done
