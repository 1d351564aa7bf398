#!/usr/bin/env bash
# Runs every test (unit, golden-file, bad-input corpus, end-to-end CLI) with `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
swift test "$@"
