#!/bin/sh
# The demo (`npm start`): the whole pipeline on the bundled recording, replayed
# as if it were a microphone, looping, with the dashboard on
# http://127.0.0.1:8080 (REC_PORT). During each event
# ./recordings/<day>/<stem>.partial.opus grows and plays live in the dashboard's
# red row; when the event ends it is renamed to <stem>.opus and rec-sidecars adds
# its waveform. Ctrl-C stops everything: rec-segment finishes the open event, so
# no partial is left behind.
# DEMO_REALTIME=0 runs the recording once, as fast as possible, then keeps the
# dashboard up; DEMO_LOOP=0 plays it once at real time; REC_OUT changes the folder;
# DEMO_SERVE=0 runs no dashboard, prints rec-sidecars' recording.ready lines and
# exits when the replay ends (as the tests run it).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin="$here/../bin"
out=${REC_OUT:-./recordings}
port=${REC_PORT:-8080}
pace=--realtime
loop=${DEMO_LOOP:-1}
if [ "${DEMO_REALTIME:-1}" = 0 ]; then pace=; loop=0; fi
mkdir -p "$out"

serve=
stopped=
# fd 3: where rec-sidecars' recording.ready lines go (stdout only without a dashboard).
exec 3>/dev/null
if [ "${DEMO_SERVE:-1}" = 0 ]; then
  exec 3>&1
  echo "demo: replaying examples/demo/demo.opus (40 s) into $out" >&2
else
  # A background job of a script ignores SIGINT: rec-serve is stopped by the trap.
  node "$bin/rec-serve.js" --out "$out" --port "$port" >/dev/null &
  serve=$!
  trap 'kill $serve 2>/dev/null || true' EXIT
  echo "demo: dashboard on http://127.0.0.1:$port/ — replaying examples/demo/demo.opus (40 s) into $out$( [ "$loop" = 1 ] && echo ', looping')" >&2
fi
trap 'stopped=1' INT TERM

# Looping is ffmpeg's (-stream_loop): one producer that a Ctrl-C or a closed pipe
# ends, not a shell loop that would start the replay again.
if [ "$loop" = 1 ]; then
  ffmpeg -hide_banner -loglevel fatal -nostdin -stream_loop -1 -i "$here/demo/demo.opus" -c copy -f ogg pipe:1 |
    node "$bin/rec-capture.js" --input - $pace
else
  node "$bin/rec-capture.js" --input "$here/demo/demo.opus" $pace
fi | node "$bin/rec-segment.js" --out "$out" | node "$bin/rec-sidecars.js" --out "$out" >&3
[ -n "$stopped" ] && exit 130
[ -z "$serve" ] && exit 0
echo "demo: done; recordings in $out (dashboard still on http://127.0.0.1:$port/, Ctrl-C to stop)" >&2
wait $serve || true
