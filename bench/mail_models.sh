#!/usr/bin/env bash
# Replays mail corpora through harrier replay and counts the mail-model breaches per corpus.
#
#   bash bench/mail_models.sh [PROFILE] NAME=PATH[,PATH...] ...     (PROFILE: debug or release, default debug)
#
# Each NAME=PATHS corpus is replayed into its own data directory under $HARRIER_BENCH_DIR (default
# /tmp/harrier-bench/mail) as one tenant with no earlier history, with Exchange Online's hosts trusted. The
# script prints, per corpus, the messages analysed, the distinct messages with a mail breach and the
# breaches per model. On ham this is the false-positive rate of a tenant's first days; on phishing, the
# share of messages the models raise.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=debug
if [[ ${1:-} == debug || ${1:-} == release ]]; then
    profile=$1
    shift
fi
[[ $# -gt 0 ]] || { echo "usage: bash bench/mail_models.sh [debug|release] NAME=PATH[,PATH...] ..." >&2; exit 2; }
command -v sqlite3 >/dev/null || { echo "error: sqlite3 is missing; apt-get install sqlite3" >&2; exit 1; }

if [[ $profile == release ]]; then
    cargo build --release --locked --bin harrier >&2
else
    cargo build --locked --bin harrier >&2
fi
harrier=./target/$profile/harrier
root=${HARRIER_BENCH_DIR:-/tmp/harrier-bench}/mail

for corpus in "$@"; do
    name=${corpus%%=*}
    IFS=, read -r -a paths <<< "${corpus#*=}"
    dir=$root/$name
    rm -rf "$dir"
    mkdir -p "$root"
    $harrier replay --json --no-progress --trusted-hop exchange-online --data-dir "$dir" "${paths[@]}" > "$dir.json"
    flagged=$(sqlite3 "$dir/analysis.sqlite" "SELECT count(DISTINCT json_extract(json, '\$.events[0]')) FROM breaches WHERE model_id LIKE 'mail.%'")
    python3 - "$dir.json" "$name" "$flagged" <<'PY'
import json, sys
path, name, flagged = sys.argv[1], sys.argv[2], int(sys.argv[3])
summary = json.load(open(path))
analysis = summary.get("analysis", summary)
events = analysis["events"]
models = {model: count for model, count in analysis["breaches_per_model"].items() if model.startswith("mail.")}
share = flagged / events if events else 0.0
print(f"{name}: {events} messages, {flagged} with a mail breach ({share:.1%})")
for model, count in sorted(models.items()):
    print(f"  {model:36} {count}")
PY
done
