#!/usr/bin/env bash
# Regenerates the baselines of the regression scenarios after a reviewed change of results.
#
#   scripts/update-baselines.sh .build/debug/certsim      # or .build/release/certsim
#
# For each Scenarios/regression/*.yaml (and only those), runs the scenario with the given binary,
# copies the run's candidates.csv to the file its `thresholds.baseline` names (relative to the
# scenario file), and prints the digest to pin as its `thresholds.digest`. A scenario that names
# no baseline is run too, for its digest; add `baseline: baselines/NAME.candidates.csv` under its
# thresholds to keep one. The digests are printed, not written: review the diff of the baselines
# (`certsim compare OLD NEW` shows what moved) before pinning them.
set -euo pipefail

usage="usage: $0 CERTSIM_BINARY"
binary=${1:?$usage}
[ -x "$binary" ] || { echo "$usage: '$binary' is not an executable" >&2; exit 2; }
binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

shopt -s nullglob
scenarios=("$root"/Scenarios/regression/*.yaml)
[ ${#scenarios[@]} -gt 0 ] || { echo "no scenario in $root/Scenarios/regression" >&2; exit 2; }

for scenario in "${scenarios[@]}"; do
    name=$(basename "$scenario" .yaml)
    out="$scratch/$name"
    # Exit 1 only says a threshold broke (the pinned digest, after a change): expected here.
    status=0
    "$binary" run "$scenario" --out "$out" --quiet > "$scratch/$name.txt" 2>&1 || status=$?
    if [ "$status" -gt 1 ]; then
        echo "$name: the run failed (exit $status)" >&2
        cat "$scratch/$name.txt" >&2
        exit "$status"
    fi
    digest=$(sed -n 's/^digest //p' "$scratch/$name.txt")
    # `baseline: FILE` under thresholds; quotes and a trailing comment are allowed.
    baseline=$(sed -n 's/^[[:space:]]*baseline:[[:space:]]*"\{0,1\}\([^"#]*[^"#[:space:]]\)"\{0,1\}[[:space:]]*\(#.*\)\{0,1\}$/\1/p' "$scenario")
    if [ -z "$baseline" ]; then
        echo "$name: digest $digest (no baseline named)"
        continue
    fi
    case "$baseline" in
        /*) target=$baseline ;;
        *) target=$(dirname "$scenario")/$baseline ;;
    esac
    mkdir -p "$(dirname "$target")"
    cp "$out/candidates.csv" "$target"
    echo "$name: digest $digest, baseline written to ${target#"$root"/}"
done
