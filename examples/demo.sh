#!/bin/sh
# The demo pipeline (`npm start`): replay the bundled recording as if it were a
# microphone, cut it into events and stream-encode each one while it lasts:
# ./recordings/<day>/<stem>.partial.opus grows (and plays) during an event and is
# renamed to <stem>.opus when the event ends; rec-sidecars then verifies it and
# writes its waveform. One recording.ready line (NDJSON) is printed per recording.
# DEMO_REALTIME=0 runs as fast as possible; REC_OUT changes the output folder.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${REC_OUT:-./recordings}
pace=--realtime
[ "${DEMO_REALTIME:-1}" = 0 ] && pace=
echo "demo: replaying examples/demo/demo.opus (40 s) into $out/<day>/…; status in $out/.spool/segmenter_status.json" >&2
node "$here/../bin/rec-capture.js" --input "$here/demo/demo.opus" $pace |
  node "$here/../bin/rec-segment.js" --out "$out" |
  node "$here/../bin/rec-sidecars.js" --out "$out"
echo "demo: done; recordings in $out" >&2
