#!/usr/bin/env bash
# Builds harrier and replays the sample logs bundled in testdata/saas into ./harrier-data.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cargo build --release --locked --bin harrier
./target/release/harrier replay --data-dir harrier-data testdata/saas "$@"
