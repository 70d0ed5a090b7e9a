#!/bin/sh
# The demo pipeline (`npm start`): replay the bundled recording as if it were a
# microphone and stream-encode it. While it runs, ./recordings/demo-*.partial.opus
# grows and is already playable; at the end it is renamed to demo-*.opus.
# DEMO_REALTIME=0 runs as fast as possible; REC_OUT changes the output folder.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${REC_OUT:-./recordings}
name="$out/demo-$(date +%Y%m%dT%H%M%S).opus"
pace=--realtime
[ "${DEMO_REALTIME:-1}" = 0 ] && pace=
mkdir -p "$out"
echo "demo: replaying examples/demo/demo.opus (40 s) into ${name%.opus}.partial.opus" >&2
echo "demo: play it while it grows, e.g.: ffplay -nodisp ${name%.opus}.partial.opus" >&2
node "$here/../bin/rec-capture.js" --input "$here/demo/demo.opus" $pace |
  node "$here/../bin/rec-opus-stream.js" "$name"
echo "demo: done: $name" >&2
