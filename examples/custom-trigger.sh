#!/bin/sh
# A custom trigger: record only high-pitched sounds (birdsong, whistles, a smoke
# alarm). rec-capture band-passes what the segmenter sees; the level trigger
# does the rest. The recordings hold the band-passed audio too: to keep the
# full sound, cut the original instead (each event line has startOffsetMs and
# endOffsetMs, positions in the input).
#   examples/custom-trigger.sh morning.flac ./birds
#   REC_DEVICE=hw:1,0 examples/custom-trigger.sh - ./birds     (live)
set -eu
[ $# -eq 2 ] || { echo "usage: $0 INPUT|- OUT_DIR" >&2; exit 64; }
bin=$(cd "$(dirname "$0")/../bin" && pwd)
if [ "$1" = - ]; then src="--device ${REC_DEVICE:-default}"; else src="--input $1"; fi
# shellcheck disable=SC2086  # $src is two words on purpose
node "$bin/rec-capture.js" $src --filter "highpass=f=2000,lowpass=f=8000" |
  node "$bin/rec-segment.js" --out "$2" --trigger level --min-length 0.2 |
  node "$bin/rec-sidecars.js" --out "$2"
