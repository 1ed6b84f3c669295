#!/usr/bin/env bash
# Measures sustained collector ingest: a backfill poll of a simulated tenant served by the M365 emulator on
# loopback, through listing, download, normalisation, enrichment and the event store.
#
#   bash bench/collect.sh [USERS] [DAYS]        (default 200 users, 6 days)
#
# Runs the criterion bench `collect` of harrier-collect and prints its time and records per second. Nothing
# leaves the machine: the emulator listens on 127.0.0.1. Run it on a quiet machine for figures to record.
set -euo pipefail
cd "$(dirname "$0")/.."

export HARRIER_BENCH_USERS=${1:-200}
export HARRIER_BENCH_DAYS=${2:-6}
cargo bench -p harrier-collect --bench collect
