#!/bin/sh
# The HTML timeline in a real browser: render_test.sh COROSIM REPRO WORKDIR.
# Writes the repro's timeline, renders it in headless Chromium, and checks the
# screenshot is a real picture and the rendered page has one lane per fiber of
# the run (counted from the run's own JSON Lines trace).
set -eu
corosim=$1
repro=$2
work=$3/html_render
rm -rf "$work"
mkdir -p "$work"
command -v chromium >/dev/null 2>&1 || { echo "chromium is not installed (./dev.sh deps installs it)" >&2; exit 1; }

"$corosim" replay "$repro" --html "$work/run.html" --trace jsonl --out "$work/run.jsonl" >/dev/null || true
[ -s "$work/run.html" ] || { echo "no timeline written" >&2; exit 1; }
if grep -Eq '<script|<link|src=|https?://[^w]' "$work/run.html"; then
  echo "the timeline refers to something outside itself" >&2; exit 1
fi

# HOME: Chromium writes its profile there; keep it out of the user's.
flags="--headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir=$work/profile"
HOME=$work timeout 120 chromium $flags --window-size=1500,700 --screenshot="$work/run.png" "file://$work/run.html" \
  >/dev/null 2>&1
HOME=$work timeout 120 chromium $flags --dump-dom "file://$work/run.html" > "$work/dom.html" 2>/dev/null

size=$(wc -c < "$work/run.png")
[ "$size" -gt 10000 ] || { echo "the screenshot is empty or blank ($size bytes)" >&2; exit 1; }
lanes=$(grep -o 'class="lane"' "$work/dom.html" | wc -l)
fibers=$(grep -o '"fiber":[0-9]*' "$work/run.jsonl" | sort -u | wc -l)
[ "$lanes" -eq "$fibers" ] && [ "$lanes" -gt 1 ] \
  || { echo "the rendered page has $lanes lanes for $fibers fibers" >&2; exit 1; }
echo "rendered: $size-byte screenshot, $lanes lanes for $fibers fibers"
