#!/usr/bin/env bash
# Prints one SHA-256 per example plan compiled by the wafermap binary given (default: the
# release build), so that a refactoring can show its plans are byte-identical to before:
#   scripts/plan-digests.sh OLD_BINARY > before.txt
#   scripts/plan-digests.sh .build/release/wafermap > after.txt
#   diff before.txt after.txt        # no output: every plan is byte-identical
# Covers every example model on wse3, tiny on the small targets, and defect maps (uniform and
# clustered) on Llama 3.1 8B and Kimi K2. Takes about a minute with a release build.
# A plan records the model's absolute path (inputs.model_path), so compare digests made from
# the same checkout folder: from another folder every digest differs by that path alone.
set -euo pipefail
bin=$(realpath "${1:-.build/release/wafermap}")
# Plans record the model path as given: run from the package root with relative paths, so that
# two checkouts (worktrees) give the same digests.
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
digest() { # name, then the compile arguments
    local name=$1; shift
    if "$bin" compile "$@" -o "$work/$name.plan.json" >/dev/null 2>"$work/$name.err"; then
        printf '%s  %s\n' "$(sha256sum < "$work/$name.plan.json" | cut -c1-64)" "$name"
    else
        printf 'FAILED(%s)  %s\n' "$(head -c 200 "$work/$name.err" | tr '\n' ' ')" "$name"
    fi
}
for model in examples/models/*.yaml; do
    name=$(basename "$model" .yaml)
    digest "$name.wse3" "$model" --target wse3
done
for target in small32 small64; do
    digest "tiny.$target" "examples/models/tiny.yaml" --target "$target"
done
digest "llama-3.1-8b.uniform-0.0001" "examples/models/llama-3.1-8b.yaml" --defect-rate 0.0001 --seed 7
digest "kimi-k2.clustered-0.001" "examples/models/kimi-k2.yaml" --defect-rate 0.001 --clustered --seed 1
digest "tiny.small64.defects" "examples/models/tiny.yaml" --target small64 --defect-rate 0.01 --seed 3
