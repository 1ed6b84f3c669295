#!/usr/bin/env bash
# Measures whole-process replay throughput and peak memory on a generated file of sign-in and audit records.
#
#   bash bench/replay.sh [RECORDS]        (default 1,000,000)
#
# Writes the generated file and the stores under $HARRIER_BENCH_DIR (default /tmp/harrier-bench). Runs
# replay twice: pinned to one core with taskset (reader and writer share it), then on every core. Prints
# one Markdown table row per run for BENCHMARKS.md. Replay measures reading, normalising, enriching and
# storing only: when the build has learning and detection, the runs pass --no-analyse.
set -euo pipefail
cd "$(dirname "$0")/.."

records=${1:-1000000}
dir=${HARRIER_BENCH_DIR:-/tmp/harrier-bench}
input="$dir/logs-$records.jsonl"
mkdir -p "$dir"

command -v /usr/bin/time >/dev/null || { echo "error: /usr/bin/time is missing; apt-get install time" >&2; exit 1; }
[ -f "$input" ] || python3 bench/gen_logs.py --records "$records" --out "$input"
cargo build --release --locked --bin harrier >&2

flags=(--no-progress --json)
if ./target/release/harrier replay --help | grep -q -- '--no-analyse'; then
    flags+=(--no-analyse)
fi

run() {
    local label=$1; shift
    rm -rf "$dir/store"
    /usr/bin/time -f '%M %e %U %S' -o "$dir/time.txt" "$@" ./target/release/harrier replay "${flags[@]}" \
        --data-dir "$dir/store" "$input" > "$dir/summary.json"
    read -r rss wall user sys < "$dir/time.txt"
    local store_bytes
    store_bytes=$(du -sb "$dir/store" | cut -f1)
    python3 - "$label" "$dir/summary.json" "$rss" "$wall" "$user" "$sys" "$input" "$store_bytes" <<'PY'
import json, os, sys
label, summary_path, rss, wall, user, sys_time, input_path, store_bytes = sys.argv[1:]
summary = json.load(open(summary_path))
events = summary["records"]["stored"]
cpu = float(user) + float(sys_time)
mib = os.path.getsize(input_path) / 2**20
print(f"| {label} | {events:,} | {mib:,.0f} MiB | {float(wall):.1f} s | {events / float(wall):,.0f} | "
      f"{events / cpu:,.0f} | {int(rss) / 1024:,.0f} MiB | {int(store_bytes) / 2**20:,.0f} MiB |")
PY
}

echo "| run | events stored | input | wall time | events/s (wall) | events per CPU-second | peak RSS | store on disk |"
echo "|---|---|---|---|---|---|---|---|"
run "one core (taskset -c 0)" taskset -c 0
run "all cores ($(nproc))"
