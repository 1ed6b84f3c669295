#!/usr/bin/env bash
# Compares replay throughput of an earlier commit with the working tree, on the same generated file.
#
#   bash bench/compare.sh REV [RECORDS] [ROUNDS]       (defaults: 1,000,000 records, 2 rounds)
#
# Builds REV in a copy under $HARRIER_BENCH_DIR (default /tmp/harrier-bench), then runs bench/replay.sh of
# REV and of the working tree alternately, ROUNDS times each, so that both see the same load from other
# jobs. Prints the rows of each run, labelled with the commit and the load average before the run.
set -euo pipefail
cd "$(dirname "$0")/.."

rev=${1:?usage: bash bench/compare.sh REV [RECORDS] [ROUNDS]}
records=${2:-1000000}
rounds=${3:-2}
dir=${HARRIER_BENCH_DIR:-/tmp/harrier-bench}
commit=$(git rev-parse --short "$rev")
copy="$dir/rev-$commit"

if [ ! -x "$copy/target/release/harrier" ]; then
    rm -rf "$copy"
    mkdir -p "$copy"
    git archive "$commit" | tar -x -C "$copy"
    (cd "$copy" && cargo build --release --locked --bin harrier >&2)
fi
cargo build --release --locked --bin harrier >&2

echo "| build | run | events stored | input | wall time | events/s (wall) | events per CPU-second | peak RSS | store on disk | load before |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for _ in $(seq "$rounds"); do
    for tree in "$copy" "$PWD"; do
        label=$([ "$tree" = "$copy" ] && echo "$commit" || echo "working tree")
        load=$(cut -d' ' -f1 /proc/loadavg)
        HARRIER_BENCH_DIR="$dir" bash "$tree/bench/replay.sh" "$records" 2>/dev/null | tail -n +3 |
            sed "s/^| /| $label | /; s/ |\$/ | $load |/"
    done
done
