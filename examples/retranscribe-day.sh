#!/bin/sh
# Re-transcribe a day: for every finished recording of DAY_DIR, run a recogniser
# on its audio and replace <stem>.transcript.json (written to a temp file, then
# renamed). TRANSCRIBE_CMD reads a 16 kHz mono WAV on stdin and prints text;
# the default is Debian's pocketsphinx. For example with whisper.cpp:
#   TRANSCRIBE_CMD='whisper-cli -m ggml-base.en.bin -nt -np -f /dev/stdin' examples/retranscribe-day.sh rec/2026-11-26
set -eu
[ $# -eq 1 ] || { echo "usage: $0 DAY_DIR" >&2; exit 64; }
cmd=${TRANSCRIBE_CMD:-pocketsphinx_continuous -infile /dev/stdin -logfn /dev/null}
for f in "$1"/*.opus; do
  [ -e "$f" ] || continue
  case $f in *.partial.opus) continue ;; esac
  out=${f%.opus}.transcript.json
  text=$(ffmpeg -hide_banner -loglevel error -i "$f" -ac 1 -ar 16000 -f wav - | nice -n 19 sh -c "$cmd" | tr '\n' ' ' | sed 's/  */ /g; s/^ //; s/ $//')
  jq -n --arg text "$text" --arg engine "${cmd%% *}" '{text: $text, engine: $engine}' > "$out.tmp"
  mv "$out.tmp" "$out"
  printf '%s\t%s\n' "$(basename "$f")" "$text"
done
