#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ (swiftc -sanitize=fuzzer,address) and runs each for
# SECONDS (default 600). Seed corpora: the example models and the bad-input fixtures; the defect
# fixtures; the Hugging Face configs (good and hostile); the plan fixtures. New corpus entries go to fuzz-out/corpus-NAME, crashes to
# fuzz-out/ (both ignored by git). Usage: bash scripts/fuzz.sh [SECONDS] [model|defects|config|plan ...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
seconds="${1:-600}"; shift || true
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(model defects config plan)
build=.build-fuzz
# -sanitize=fuzzer alone does not add coverage to objects compiled without linking: ask for it.
flags=(-Xswiftc -sanitize=fuzzer -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp)
swift build --build-path "$build" "${flags[@]}" --target WaferPasses >&2
swift build --build-path "$build" "${flags[@]}" --target WaferFrontend >&2
swift build --build-path "$build" "${flags[@]}" --target WaferExec >&2
modules="$build/debug"
# The project's modules and swift-collections' HeapModule (with its one dependency); an array,
# since some of that package's object files have spaces in their names.
objects=()
for module in WaferSupport WaferYAML WaferIR WaferTarget WaferFrontend WaferPasses WaferPlan WaferExec HeapModule InternalCollectionsUtilities; do
  objects+=("$modules/$module.build"/*.o)
done
mkdir -p fuzz-out
for name in "${targets[@]}"; do
  case "$name" in
    model) source=Fuzz/FuzzModel.swift; seeds=(examples/models Tests/Fixtures/bad) ;;
    defects) source=Fuzz/FuzzDefects.swift; seeds=(Tests/Fixtures/defects) ;;
    config) source=Fuzz/FuzzConfig.swift; seeds=(Tests/Fixtures/hf Tests/Fixtures/hf-bad) ;;
    plan) source=Fuzz/FuzzPlan.swift; seeds=(Tests/Fixtures/plans) ;;
    *) echo "unknown fuzz target '$name' (model, defects, config, plan)" >&2; exit 2 ;;
  esac
  swiftc -sanitize=fuzzer,address -parse-as-library -I "$modules/Modules" -I Sources/CYAML "$source" "${objects[@]}" -lyaml -o "$modules/fuzz-$name"
  mkdir -p "fuzz-out/corpus-$name"
  echo "fuzzing $name for $seconds s" >&2
  "$modules/fuzz-$name" "fuzz-out/corpus-$name" "${seeds[@]}" -max_total_time="$seconds" -rss_limit_mb=2048 \
    -timeout=10 -artifact_prefix="fuzz-out/$name-" -print_final_stats=1 2>&1 | tail -25 | tee "fuzz-out/$name.log"
done
