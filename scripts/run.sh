#!/usr/bin/env bash
# The main job on built-in defaults: build WaferMap (release) and show what it knows about
# Kimi K2: the IR after the pipeline (with its routes and decode schedule), the exact size table,
# and the WSE-3 wafer count and predicted decode speed at a 131,072-token context.
# With arguments, runs `wafermap ARGS...` instead (e.g. scripts/run.sh stats examples/models/tiny.yaml).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
swift build -c release --product wafermap >&2
bin="$(swift build -c release --show-bin-path)/wafermap"
if [ $# -gt 0 ]; then
  exec "$bin" "$@"
fi
"$bin" ir examples/models/kimi-k2.yaml
echo
"$bin" stats examples/models/kimi-k2.yaml
echo
"$bin" count examples/models/kimi-k2.yaml --context 131072 --perf
