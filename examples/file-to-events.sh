#!/bin/sh
# Record from a file to events: cut any audio file ffmpeg reads into events and
# finish each one (verified .opus + waveform). One recording.ready line each.
#   examples/file-to-events.sh talk.mp3 ./rec
#   examples/file-to-events.sh talk.mp3 ./rec | jq -r '"\(.durationMs / 1000) s  \(.opus)"'
set -eu
[ $# -eq 2 ] || { echo "usage: $0 INPUT OUT_DIR" >&2; exit 64; }
bin=$(cd "$(dirname "$0")/../bin" && pwd)
node "$bin/rec-capture.js" --input "$1" |
  node "$bin/rec-segment.js" --out "$2" |
  node "$bin/rec-sidecars.js" --out "$2"
