#!/usr/bin/env bash
# Redraws the pictures README.md shows (docs/img/*.png) with the commands written beside them:
# Kimi K2 on WSE-3 with a 0.1% clustered defect map (the spare rows repair what they can), its
# overview, its slowest wafer (13) and its time split per token, converted with rsvg-convert.
# Prints each SVG's size, so the figures in README.md and docs/cli.md can be checked.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
swift build -c release >/dev/null
bin=.build/release/wafermap
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" compile examples/models/kimi-k2.yaml --defect-rate 0.001 --clustered -o "$tmp/kimi-k2.plan.json" --svg "$tmp/pictures" \
  >/dev/null 2>"$tmp/compile.log" || { cat "$tmp/compile.log" >&2; exit 1; }
mkdir -p docs/img
rsvg-convert -w 1600 "$tmp/pictures/overview.svg" -o docs/img/kimi-k2-overview.png
rsvg-convert -w 2400 "$tmp/pictures/wafer-13.svg" -o docs/img/kimi-k2-wafer-13.png
rsvg-convert -w 1400 "$tmp/pictures/time-split.svg" -o docs/img/kimi-k2-time-split.png
for f in overview.svg wafer-13.svg time-split.svg; do
  printf '%-16s %8d bytes\n' "$f" "$(stat -c %s "$tmp/pictures/$f")"
done
largest=$(ls -S "$tmp"/pictures/wafer-*.svg | head -1)
printf 'largest wafer    %8d bytes (%s)\n' "$(stat -c %s "$largest")" "$(basename "$largest")"
ls -l docs/img/kimi-k2-*.png | awk '{ printf "%-34s %8d bytes\n", $9, $5 }'
