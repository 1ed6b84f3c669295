#!/usr/bin/env bash
# Compares harrier's email verdicts and throughput with Rspamd's and SpamAssassin's on the same messages.
#
#   bash bench/email-peers.sh CORPUS
#
# CORPUS is a folder with phish-phishing_pot/, spamassassin-public/{easy-ham-1,easy-ham-2,hard-ham-1}/
# and ham-linux-mips/ (the folders `harrier eval email` is measured on in BENCHMARKS.md). Set
# HARRIER_EMAIL_HAM and HARRIER_EMAIL_PHISH (space-separated paths) to use other folders.
#
# What it does:
# - Installs the Debian packages rspamd, spamassassin and spamd when they are missing (apt-get,
#   noninteractive), and builds harrier in release mode.
# - Runs bench/email_peers.py in a new network namespace (`unshare --net`), where loopback is the only
#   interface. Nothing the peers try to fetch (Rspamd's remote maps from maps.rspamd.com, DNS lists) can
#   leave the machine, so those maps stay empty and lookups fail at once.
# - Turns the network checks off explicitly as well, as harrier has none. In Rspamd, the modules that query
#   DNS lists, fuzzy hash servers, DNS records (SPF, DKIM, DMARC, ARC, ASN, MX, hfilter) or Redis get
#   `enabled = false` in a local configuration folder in a temp dir (RSPAMD_NETWORK_MODULES in
#   email_peers.py), and the name server is 127.0.0.1:53, where nothing listens. SpamAssassin: spamd
#   runs with --local, which turns off DNS blocklists, URI blocklists, Razor, Pyzor and DCC, and with
#   Bayes auto-learning off so that the order of messages cannot change a verdict.
# - Strips the upstream verdict headers from every message with harrier's own list before any of the
#   three tools reads it, and prints per folder the share each tool flagged, then each tool's messages
#   per CPU-second. email_peers.py states how each tool's verdict maps to "flagged".
set -euo pipefail
cd "$(dirname "$0")/.."

corpus=${1:-}
if [ -z "${HARRIER_EMAIL_HAM:-}" ] || [ -z "${HARRIER_EMAIL_PHISH:-}" ]; then
    if [ -z "$corpus" ]; then
        echo "usage: bash bench/email-peers.sh CORPUS (or set HARRIER_EMAIL_HAM and HARRIER_EMAIL_PHISH)" >&2
        exit 2
    fi
    HARRIER_EMAIL_HAM="$corpus/spamassassin-public/easy-ham-1 $corpus/spamassassin-public/easy-ham-2 $corpus/spamassassin-public/hard-ham-1 $corpus/ham-linux-mips"
    HARRIER_EMAIL_PHISH="$corpus/phish-phishing_pot"
fi
folder_args=()
for folder in $HARRIER_EMAIL_HAM; do folder_args+=(--ham "$folder"); done
for folder in $HARRIER_EMAIL_PHISH; do folder_args+=(--phish "$folder"); done
for folder in $HARRIER_EMAIL_HAM $HARRIER_EMAIL_PHISH; do
    if [ ! -d "$folder" ]; then
        echo "error: corpus folder $folder not found; the comparison needs the mail corpus, which is not part of this repository" >&2
        exit 2
    fi
done

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if ! command -v rspamd >/dev/null || ! command -v spamd >/dev/null; then
    echo "Installing Debian packages: rspamd spamassassin spamd" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends rspamd spamassassin spamd >&2
fi

cargo build --release --locked --bin harrier >&2
harrier=$PWD/target/release/harrier

echo "rspamd $(rspamd --version | grep -o '[0-9][0-9.]*' | head -n 1), $(spamassassin --version | head -n 1), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
$sudo unshare --net -- bash -c 'ip link set lo up && exec python3 "$@"' bash \
    bench/email_peers.py --harrier "$harrier" "${folder_args[@]}"
