#!/usr/bin/env bash
# Installs the system packages harrier's build and tests need on Debian, when they are missing.
# The Rust toolchain itself (1.95 or newer, with cargo) must already be installed, for example with rustup.
set -euo pipefail

# postfix: the milter integration tests and bench/milter.sh start a private Postfix instance. Debconf is
# told "No configuration", so the package writes no main.cf and the system service stays stopped.
# chromium, chromium-driver: the web UI tests drive the pages in headless Chromium over WebDriver.
packages=(gcc make pkg-config python3 python3-venv ca-certificates postfix chromium chromium-driver)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if ((${#missing[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "Installing Debian packages: ${missing[*]}"
    $sudo apt-get update -qq
    echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null; then
    echo "error: cargo not found; install Rust 1.95 or newer (https://rustup.rs) and run this again" >&2
    exit 1
fi
