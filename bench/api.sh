#!/usr/bin/env bash
# Measures the latency of the incident list of `harrier serve` on loopback: median, p90 and p99.
#
#   bash bench/api.sh [USERS] [DAYS] [REQUESTS] [CONCURRENCY]     (defaults: 200 users, 30 days, 2000, 4)
#
# Builds the release binary, simulates a tenant of USERS users over DAYS days and replays it into a fresh
# data directory under $HARRIER_BENCH_DIR (default /tmp/harrier-bench-api). Then it creates a viewer token,
# starts the service on a free loopback port, and sends REQUESTS GET /api/v1/incidents requests (the first page,
# sorted by score) from CONCURRENCY threads with bench/api_load.py. The service is stopped with SIGTERM at
# the end. Set HARRIER_URL and HARRIER_TOKEN to measure a running service instead, or HARRIER_BIN to use
# another harrier binary (a debug build for a quick smoke run) instead of building the release one.
set -euo pipefail
cd "$(dirname "$0")/.."

users=${1:-200}
days=${2:-30}
requests=${3:-2000}
concurrency=${4:-4}

if [ -n "${HARRIER_URL:-}" ] && [ -n "${HARRIER_TOKEN:-}" ]; then
    exec python3 bench/api_load.py "$HARRIER_URL" "$HARRIER_TOKEN" "$requests" "$concurrency"
fi

if [ -n "${HARRIER_BIN:-}" ]; then
    harrier=$HARRIER_BIN
else
    cargo build --release --locked --bin harrier >&2
    harrier=$PWD/target/release/harrier
fi
dir=${HARRIER_BENCH_DIR:-/tmp/harrier-bench-api}
rm -rf "$dir"
mkdir -p "$dir"
"$harrier" simulate --users "$users" --days "$days" --seed 1 --out "$dir/sim" >&2
"$harrier" replay --no-progress --data-dir "$dir/data" "$dir/sim" >&2
token=$("$harrier" tokens create --data-dir "$dir/data" --json --name bench --role viewer --tenant '*' |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
cat > "$dir/harrier.toml" <<TOML
data_dir = "$dir/data"
[api]
listen = "127.0.0.1:0"
secure_cookies = false
[log]
format = "json"
level = "warn"
TOML

"$harrier" serve --config "$dir/harrier.toml" > "$dir/serve.out" 2> "$dir/serve.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 600); do
    grep -q '^harrier serve: API on ' "$dir/serve.out" 2>/dev/null && break
    sleep 0.1
done
url=$(sed -n 's/^harrier serve: API on \(http[^ ]*\)\/$/\1/p' "$dir/serve.out")
[ -n "$url" ] || { echo "the service did not start; see $dir/serve.log" >&2; exit 1; }
for _ in $(seq 600); do
    curl -fsS "$url/readyz" > /dev/null 2>&1 && break
    sleep 0.1
done
python3 bench/api_load.py "$url" "$token" "$requests" "$concurrency"
