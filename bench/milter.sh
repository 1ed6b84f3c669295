#!/usr/bin/env bash
# Latency that `harrier milter` adds to mail through a real Postfix, measured as whole processes.
#
#   bash bench/milter.sh [MESSAGES] [RATE]          (defaults: 600 messages at 20 per second)
#
# HARRIER_BENCH_PROFILE=debug measures the debug build instead of the release build.
# Starts a private Postfix instance on loopback in a temporary folder (needs root and Debian's postfix),
# relaying to Postfix's smtp-sink, and `harrier milter` (release build) with every message action
# autonomous. bench/milter_load.py sends the messages of testdata/mail at a steady RATE, each on its own
# SMTP connection, first with the milter and then, after `postfix reload`, without it. Prints Markdown rows:
# - milter, end of message to reply: the time the milter takes after Postfix sends the end of the message
#   (analysis, planning, rewriting and the action log), from the milter's own debug log;
# - milter, MAIL FROM to reply: the same from the message's first callback, so it includes receiving it;
# - SMTP transaction with and without the milter: connect to the reply to the end of DATA, at the client.
set -euo pipefail
cd "$(dirname "$0")/.."

messages=${1:-600}
rate=${2:-20}
[ "$(id -u)" -eq 0 ] || { echo "error: a private Postfix instance needs root" >&2; exit 1; }
[ -x /usr/sbin/postfix ] || { echo "error: Postfix is not installed; run scripts/install-deps.sh" >&2; exit 1; }

profile=${HARRIER_BENCH_PROFILE:-release}
if [ "$profile" = release ]; then
    cargo build --release --locked --bin harrier >&2
else
    cargo build --locked --bin harrier >&2
fi
harrier=$PWD/target/$profile/harrier

dir=$(mktemp -d /tmp/harrier-milter-bench.XXXXXX)
chmod 755 "$dir"
mkdir -p "$dir/etc" "$dir/spool" "$dir/data"
chown postfix "$dir/data"
pids=()
cleanup() {
    /usr/sbin/postfix -c "$dir/etc" stop >/dev/null 2>&1 || true
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
sink_port=$(free_port)
smtp_port=$(free_port)

# The sink accepts and drops every message; -c counts them.
/usr/sbin/smtp-sink -u nobody -c "127.0.0.1:$sink_port" 256 >/dev/null 2>&1 &
pids+=($!)

sed -e 's/^\(lock_link\|neutralise_attachment\|move_to_junk\|hold_message\) = "observe"/\1 = "autonomous"/' \
    crates/harrier-respond/data/response.toml >"$dir/policy.toml"
printf '[[key]]\nid = "k1"\nsecret = "%s"\n' "$(head -c 32 /dev/urandom | base64)" >"$dir/link-keys"
HARRIER_LOG=harrier_milter=debug "$harrier" --log-format json milter --listen 127.0.0.1:0 --data-dir "$dir/harrier" \
    --response-policy "$dir/policy.toml" --link-lock-key-file "$dir/link-keys" \
    --link-lock-base https://links.harrier.test --postfix-config-dir "$dir/etc" 2>"$dir/milter.log" &
pids+=($!)
for _ in $(seq 100); do grep -q "listening on" "$dir/milter.log" && break; sleep 0.1; done
milter_port=$(grep -o "listening on 127.0.0.1:[0-9]*" "$dir/milter.log" | head -1 | cut -d: -f2)

for file in main.cf master.cf; do
    sed -e "s|@ROOT@|$dir|g; s|@SINK_PORT@|$sink_port|g; s|@MILTER_PORT@|$milter_port|g; s|@SMTP_PORT@|$smtp_port|g" \
        "testdata/postfix/$file" >"$dir/etc/$file"
done
/usr/sbin/postfix -c "$dir/etc" start >&2
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$smtp_port") 2>/dev/null && break; sleep 0.1; done

mapfile -t corpus < <(ls testdata/mail/*.eml)
summarise() { # reads one number per line; prints "median | p99 | max" in milliseconds
    sort -n | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "- | - | -"; exit }
        m = v[int((NR + 1) / 2)]; p = v[int(NR * 0.99 + 0.999)]; if (p == "") p = v[NR]
        printf "%.2f | %.2f | %.2f\n", m / 1000, p / 1000, v[NR] / 1000 }'
}

python3 bench/milter_load.py "$smtp_port" "$messages" "$rate" "${corpus[@]}" >"$dir/with.txt"
sleep 1
/usr/sbin/postconf -c "$dir/etc" -e "smtpd_milters =" && /usr/sbin/postfix -c "$dir/etc" reload >&2
sleep 2
python3 bench/milter_load.py "$smtp_port" "$messages" "$rate" "${corpus[@]}" >"$dir/without.txt"

answered=$(grep -c '"message answered"' "$dir/milter.log" || true)
refused=$(awk '$2 != 250' "$dir/with.txt" "$dir/without.txt" | wc -l)
echo "$profile build; $messages messages at $rate per second, ${#corpus[@]} messages of testdata/mail in turn; $answered answered by the milter; $refused not accepted with 250; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| measurement | median ms | p99 ms | max ms |"
echo "|---|---|---|---|"
echo "| milter, end of message to reply | $(grep -o '"end_of_message_us":[0-9]*' "$dir/milter.log" | cut -d: -f2 | summarise) |"
echo "| milter, MAIL FROM to reply | $(grep -o '"since_mail_us":[0-9]*' "$dir/milter.log" | cut -d: -f2 | summarise) |"
echo "| SMTP transaction with the milter | $(cut -d' ' -f1 "$dir/with.txt" | summarise) |"
echo "| SMTP transaction without the milter | $(cut -d' ' -f1 "$dir/without.txt" | summarise) |"
