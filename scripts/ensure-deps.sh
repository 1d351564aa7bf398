#!/usr/bin/env bash
# Makes sure the system pieces WaferMap builds against are present on a Debian machine:
# a Swift toolchain (6.0 or later) and libyaml-dev (with pkg-config, which SwiftPM uses to find it),
# GNU parallel, which the sharded-study tests run shards through (docs/studies.md), and
# librsvg2-bin (rsvg-convert), which the picture tests rasterise every kind of SVG with.
# Installs libyaml-dev with apt-get when it can (as root, or through passwordless sudo);
# otherwise stops and prints the exact command to run.
set -euo pipefail

if ! command -v swift >/dev/null 2>&1; then
  echo "wafermap setup: no 'swift' on PATH. Install Swift 6 from swift.org and re-run." >&2
  exit 1
fi

missing=()
pkg-config --exists yaml-0.1 2>/dev/null || missing+=(libyaml-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
command -v parallel >/dev/null 2>&1 || missing+=(parallel)
command -v rsvg-convert >/dev/null 2>&1 || missing+=(librsvg2-bin)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  runner=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  runner=(sudo)
else
  echo "wafermap setup: missing ${missing[*]}. Run this, then re-run the command:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "wafermap setup: installing ${missing[*]} with apt-get" >&2
"${runner[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${runner[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
pkg-config --exists yaml-0.1 || { echo "wafermap setup: libyaml-dev installed but pkg-config cannot find yaml-0.1" >&2; exit 1; }
command -v parallel >/dev/null 2>&1 || { echo "wafermap setup: parallel installed but not on PATH" >&2; exit 1; }
command -v rsvg-convert >/dev/null 2>&1 || { echo "wafermap setup: librsvg2-bin installed but rsvg-convert is not on PATH" >&2; exit 1; }
