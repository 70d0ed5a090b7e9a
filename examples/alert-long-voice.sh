#!/bin/sh
# Alert on long voice events: read rec-segment's event lines on stdin and run
# ALERT_CMD (default: print a line) for every event with more than MIN_S seconds
# and at least half of it voice. Put it beside rec-sidecars with tee:
#   rec-capture --device hw:1,0 | rec-segment --out rec |
#     tee >(rec-sidecars --out rec >/dev/null) | examples/alert-long-voice.sh 30
# The event line is on the command's stdin, e.g. ALERT_CMD='mail -s "long talk" me@example.org'.
set -eu
min_s=${1:-30}
alert=${ALERT_CMD:-cat}
jq -c --unbuffered --argjson min "$min_s" \
  'select(.type == "event.finished" and .durationMs >= $min * 1000 and .voiceRatio >= 0.5)' |
  while IFS= read -r line; do
    printf '%s\n' "$line" | sh -c "$alert"
  done
