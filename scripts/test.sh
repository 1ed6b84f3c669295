#!/usr/bin/env bash
# Runs the whole test suite: unit, integration and documentation tests of every crate.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
if ! cargo nextest --version >/dev/null 2>&1; then
    echo "cargo-nextest not found; installing it from crates.io"
    cargo install --locked cargo-nextest
fi

# A Python environment for the tests that read Parquet with pyarrow and upload to a local S3 server (moto).
venv=target/test-python
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
if ! "$venv/bin/python" -c "import pyarrow, boto3, moto.server" 2>/dev/null; then
    echo "Installing the tests' Python packages into $venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r scripts/test-requirements.txt
fi
export HARRIER_TEST_PYTHON="$PWD/$venv/bin/python"
export HARRIER_REQUIRE_PYTHON_TESTS=1

# Documentation tests first: nextest does not run them, and its summary line should close the output.
cargo test --workspace --locked --doc --quiet
cargo nextest run --workspace --locked --no-fail-fast
