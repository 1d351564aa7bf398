#!/usr/bin/env bash
# The main job on built-in defaults: build WaferMap (release), print Kimi K2's exact size table,
# and compile it for WSE-3 at a 131,072-token context: the checked plan goes to
# out/kimi-k2.plan.json and the JSON report to out/kimi-k2.report.json.
# With arguments, runs `wafermap ARGS...` instead (e.g. scripts/run.sh stats examples/models/tiny.yaml).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
swift build -c release --product wafermap >&2
bin="$(swift build -c release --show-bin-path)/wafermap"
if [ $# -gt 0 ]; then
  exec "$bin" "$@"
fi
"$bin" stats examples/models/kimi-k2.yaml
echo
mkdir -p out
"$bin" compile examples/models/kimi-k2.yaml --context 131072 -o out/kimi-k2.plan.json --report out/kimi-k2.report.json
