#!/bin/sh
# Live microphone to dashboard: capture, segment (streaming each event), finish
# each recording, and serve the dashboard on http://127.0.0.1:${REC_PORT:-8080}.
# The microphone is REC_DEVICE (e.g. hw:1,0; `arecord -L` lists them); with
# REC_INPUT=FILE a file is played as if it were the microphone instead.
#   REC_DEVICE=hw:1,0 examples/live-to-dashboard.sh ./rec
#   REC_INPUT=talk.mp3 examples/live-to-dashboard.sh ./rec
# Ctrl-C stops it all; the open event is finished first.
set -eu
out=${1:-./recordings}
bin=$(cd "$(dirname "$0")/../bin" && pwd)
mkdir -p "$out"
node "$bin/rec-serve.js" --out "$out" --port "${REC_PORT:-8080}" >/dev/null &
serve=$!
trap 'kill $serve 2>/dev/null || true' EXIT
pace=
[ -n "${REC_INPUT:-}" ] && pace=--realtime
echo "live: dashboard on http://127.0.0.1:${REC_PORT:-8080}/, recording into $out" >&2
node "$bin/rec-capture.js" $pace |
  node "$bin/rec-segment.js" --out "$out" |
  node "$bin/rec-sidecars.js" --out "$out"
