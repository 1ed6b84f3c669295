#!/usr/bin/env bash
# Measures learning and detection on a simulated tenant, and scores detection against its labels.
#
#   bash bench/detect.sh [USERS] [DAYS] [SEED]        (default 2000 users, 60 days, seed 11)
#
# Simulates the tenant under $HARRIER_BENCH_DIR (default /tmp/harrier-bench), replays it without analysis,
# then times `harrier analyse` alone (every model on) and prints events per CPU-second, peak RSS and the
# engine state per user as stored. Finally runs `harrier eval saas` on the same data and prints its table.
set -euo pipefail
cd "$(dirname "$0")/.."

users=${1:-2000}
days=${2:-60}
seed=${3:-11}
dir=${HARRIER_BENCH_DIR:-/tmp/harrier-bench}/sim-$users-$days-$seed
command -v /usr/bin/time >/dev/null || { echo "error: /usr/bin/time is missing; apt-get install time" >&2; exit 1; }

cargo build --release --locked --bin harrier >&2
harrier=./target/release/harrier
rm -rf "$dir"
$harrier simulate --users "$users" --days "$days" --seed "$seed" --out "$dir/logs" >&2
$harrier replay --no-progress --no-analyse --data-dir "$dir/data" "$dir/logs/management-activity" "$dir/logs/graph-signins" >/dev/null
/usr/bin/time -f '%M %e %U %S' -o "$dir/time.txt" $harrier analyse --json --data-dir "$dir/data" > "$dir/analysis.json"

python3 - "$dir" "$users" <<'PY'
import json, sqlite3, sys
directory, users = sys.argv[1], int(sys.argv[2])
rss, wall, user, system = open(f"{directory}/time.txt").read().split()
summary = json.load(open(f"{directory}/analysis.json"))
events, cpu = summary["events"], float(user) + float(system)
db = sqlite3.connect(f"{directory}/data/analysis.sqlite")
state = sum(len(blob) for (blob,) in db.execute("SELECT state FROM tenant_state"))
print("| tenant | events | analyse wall time | events/s (wall) | events per CPU-second | peak RSS | state per user |")
print("|---|---|---|---|---|---|---|")
print(f"| {users:,} users | {events:,} | {float(wall):.1f} s | {events / float(wall):,.0f} | "
      f"{events / cpu:,.0f} | {int(rss) / 1024:,.0f} MiB | {state / users:,.0f} bytes |")
PY
$harrier eval saas "$dir/logs" --data-dir "$dir/eval"
rm -rf "$dir/logs" "$dir/eval"
