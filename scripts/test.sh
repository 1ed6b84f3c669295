#!/usr/bin/env bash
# Runs the whole test suite: unit, integration and documentation tests of every crate.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
if ! cargo nextest --version >/dev/null 2>&1; then
    echo "cargo-nextest not found; installing it from crates.io"
    cargo install --locked cargo-nextest
fi

# Documentation tests first: nextest does not run them, and its summary line should close the output.
cargo test --workspace --locked --doc --quiet
cargo nextest run --workspace --locked --no-fail-fast
