#!/usr/bin/env python3
"""Runs harrier, Rspamd and SpamAssassin on the same mail folders and prints detection, false positives and
throughput side by side. bench/email-peers.sh installs the peers, builds harrier and starts this script in
a network namespace of its own, where only loopback exists.

Steps:
1. `harrier eval email --write-stripped` copies every message of the folders, with the upstream verdict
   headers removed (harrier's own list: X-Forefront-Antispam-Report, X-Microsoft-Antispam*,
   X-MS-Exchange-Organization-SCL, X-Spam-*), to one file per message. All three tools read those copies.
2. harrier: `harrier eval email --json` for the verdicts, and `harrier scan` over all copies for throughput
   (user plus system CPU of the whole process, start-up included; the median of five runs).
3. Rspamd: `rspamd -f` with the stock /etc/rspamd configuration and a local configuration folder in a temp
   dir that binds its workers to 127.0.0.1 and turns the network checks off. Each message is posted to the
   normal worker's /checkv2 on 127.0.0.1. CPU is the CPU of the rspamd process tree while the messages
   were checked (start-up left out).
4. SpamAssassin: `spamd --local` on 127.0.0.1 with the stock rules, each message sent with the SPAMC
   protocol; CPU is measured as for Rspamd.

How a verdict maps to "flagged":
- harrier: the class is credential_phishing, bec_fraud or malware (as `harrier eval email` counts it).
- Rspamd: the action is "reject", "add header" or "rewrite subject" (score 6 and up in the stock
  actions); "greylist", "soft reject" and "no action" are not flagged.
- SpamAssassin: spamd returns "Spam: True" (score of at least required_score, 5.0 in the stock rules).
"""

import argparse
import concurrent.futures
import json
import os
import pwd
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

RSPAMD_PORT = 21333
RSPAMD_CONTROLLER_PORT = 21334
RSPAMD_PROXY_PORT = 21332
SPAMD_PORT = 21783
CLIENT_THREADS = 2
RSPAMD_FLAGGED_ACTIONS = {"reject", "add header", "rewrite subject"}

# Rspamd modules turned off. Each one queries DNS lists, remote hash servers or DNS records (SPF, DKIM
# keys, DMARC policies, ASN, MX), or needs Redis. harrier makes no such query: it reads the receiving host's
# Authentication-Results instead of checking SPF, DKIM and DMARC itself.
RSPAMD_NETWORK_MODULES = [
    "rbl", "surbl", "fuzzy_check", "dcc", "asn", "spf", "dkim", "dmarc", "arc", "mx_check", "hfilter",
    "url_redirector", "rspamd_update", "reputation", "replies", "greylist", "ratelimit", "neural",
    "history_redis", "emails", "external_services", "antivirus", "p0f", "clickhouse", "elastic",
]


def cpu_of_tree(root_pid):
    """Returns the user plus system CPU seconds of a process, its live descendants and the children they
    have already reaped."""
    ticks = os.sysconf("SC_CLK_TCK")
    stats = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        # After the command name: state, ppid, ..., utime (field 14), stime, cutime, cstime.
        stats[int(entry)] = (int(fields[1]), sum(int(value) for value in fields[11:15]))
    tree = {root_pid}
    grew = True
    while grew:
        grew = False
        for pid, (parent, _) in stats.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return sum(stats[pid][1] for pid in tree if pid in stats) / ticks


def wait_for_port(port, process, what, seconds=180):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"error: {what} exited with status {process.returncode} before listening on 127.0.0.1:{port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"error: {what} did not listen on 127.0.0.1:{port} within {seconds} s")


def stop(process):
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def message_files(folder):
    return sorted(path for path in folder.iterdir() if path.suffix == ".eml")


# Runs of `harrier scan` whose median CPU time is reported.
HARRIER_RUNS = 5


def run_harrier(harrier, folders, stripped):
    command = [harrier, "eval", "email", "--json"]
    for label, folder in folders:
        command += [f"--{label}", str(stripped / folder.name)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    flagged = {Path(result["path"]).name: result["threats"] for result in json.loads(output)}

    # A scan takes well under a second, so a single run varies by about 20 % with what else the machine
    # runs. The median of HARRIER_RUNS runs is reported, while the peers' figures each cover minutes of work.
    scan = [harrier, "scan", *(str(stripped / folder.name) for _, folder in folders)]
    runs = []
    for _ in range(HARRIER_RUNS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        subprocess.run(scan, check=True, stdout=subprocess.DEVNULL)
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        runs.append(((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall))
    cpu, wall = sorted(runs)[len(runs) // 2]
    print("harrier scan CPU seconds per run: " + ", ".join(f"{run_cpu:.2f}" for run_cpu, _ in runs), file=sys.stderr)
    return flagged, cpu, wall


def write_rspamd_config(local):
    (local / "local.d").mkdir(parents=True)
    (local / "override.d").mkdir()
    for module in RSPAMD_NETWORK_MODULES:
        (local / "override.d" / f"{module}.conf").write_text("enabled = false;\n")
    # Name servers on loopback, where none listens, so a lookup that is left fails at once.
    (local / "local.d" / "options.inc").write_text(
        'dns { nameserver = ["127.0.0.1:53"]; timeout = 0.2s; retransmits = 1; }\n'
    )
    (local / "local.d" / "logging.inc").write_text('level = "error";\n')
    workers = {
        "worker-normal.inc": RSPAMD_PORT,
        "worker-controller.inc": RSPAMD_CONTROLLER_PORT,
        "worker-proxy.inc": RSPAMD_PROXY_PORT,
    }
    for name, port in workers.items():
        (local / "override.d" / name).write_text(f'bind_socket = "127.0.0.1:{port}";\n')


def check_rspamd(path):
    request = urllib.request.Request(f"http://127.0.0.1:{RSPAMD_PORT}/checkv2", data=path.read_bytes(), method="POST")
    with urllib.request.urlopen(request, timeout=120) as response:
        result = json.load(response)
    return result.get("action") in RSPAMD_FLAGGED_ACTIONS


def check_spamd(path):
    body = path.read_bytes()
    with socket.create_connection(("127.0.0.1", SPAMD_PORT), timeout=120) as connection:
        connection.sendall(f"CHECK SPAMC/1.5\r\nContent-length: {len(body)}\r\n\r\n".encode() + body)
        connection.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := connection.recv(65536):
            reply += chunk
    for line in reply.decode("latin-1").splitlines():
        if line.lower().startswith("spam:"):
            return line.split(":", 1)[1].strip().lower().startswith("true")
    raise RuntimeError(f"{path}: spamd sent no Spam: line: {reply[:200]!r}")


def check_all(check, process, folders, stripped):
    """Checks every message, after one warm-up message, and returns flagged counts, CPU and wall time."""
    first = message_files(stripped / folders[0][1].name)[0]
    check(first)
    cpu_before = cpu_of_tree(process.pid)
    started = time.monotonic()
    flagged = {}
    with concurrent.futures.ThreadPoolExecutor(CLIENT_THREADS) as pool:
        for _, folder in folders:
            flagged[folder.name] = sum(pool.map(check, message_files(stripped / folder.name)))
    wall = time.monotonic() - started
    return flagged, cpu_of_tree(process.pid) - cpu_before, wall


def serve_and_check(command, port, check, work, folders, stripped):
    """Starts a filter daemon, checks every message with it once it listens on `port`, and stops it. Its
    standard error goes to WORK/NAME-stderr.log."""
    name = command[0]
    with open(work / f"{name}-stderr.log", "w") as log:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
        try:
            wait_for_port(port, process, name)
            return check_all(check, process, folders, stripped)
        finally:
            stop(process)


def run_rspamd(work, folders, stripped):
    local = work / "rspamd-local"
    for name in ["db", "run", "log"]:
        (work / f"rspamd-{name}").mkdir()
    write_rspamd_config(local)
    command = ["rspamd", "-f", "-c", "/etc/rspamd/rspamd.conf"]
    for variable, path in [("LOCAL_CONFDIR", local), ("DBDIR", work / "rspamd-db"), ("RUNDIR", work / "rspamd-run"), ("LOGDIR", work / "rspamd-log")]:
        command += ["--var", f"{variable}={path}"]
    if os.geteuid() == 0:
        user = pwd.getpwnam("_rspamd")
        for path in [work, *work.iterdir()]:
            for child in [path, *path.rglob("*")] if path.is_dir() else [path]:
                os.chown(child, user.pw_uid, user.pw_gid)
        command += ["-u", "_rspamd", "-g", "_rspamd"]
    return serve_and_check(command, RSPAMD_PORT, check_rspamd, work, folders, stripped)


def run_spamd(work, folders, stripped):
    home = work / "spamassassin-home"
    home.mkdir()
    command = [
        "spamd", f"--listen=127.0.0.1:{SPAMD_PORT}", "--local", "--nouser-config", f"--helper-home-dir={home}",
        "--max-children=2", "--syslog=stderr", f"--pidfile={work / 'spamd.pid'}",
        # Auto-learning would train Bayes on the messages being measured, so later verdicts would depend on
        # earlier ones. The Bayes database starts empty in the helper home, where Bayes has no effect.
        "--cf=bayes_auto_learn 0",
    ]
    if os.geteuid() == 0:
        shutil.chown(home, "debian-spamd")
        shutil.chown(work, "debian-spamd")
        command.append("--username=debian-spamd")
    return serve_and_check(command, SPAMD_PORT, check_spamd, work, folders, stripped)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--harrier", required=True, help="path of the harrier binary")
    parser.add_argument("--ham", action="append", default=[], type=Path, help="folder of legitimate mail")
    parser.add_argument("--phish", action="append", default=[], type=Path, help="folder of phishing mail")
    args = parser.parse_args()
    folders = [("ham", folder) for folder in args.ham] + [("phish", folder) for folder in args.phish]

    with tempfile.TemporaryDirectory(prefix="harrier-email-peers-") as temp:
        work = Path(temp)
        os.chmod(work, 0o755)
        stripped = work / "messages"
        command = [args.harrier, "eval", "email", "--write-stripped", str(stripped)]
        for label, folder in folders:
            command += [f"--{label}", str(folder)]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        os.chmod(stripped, 0o755)
        counts = {folder.name: len(message_files(stripped / folder.name)) for _, folder in folders}
        total = sum(counts.values())

        results = {
            "harrier": run_harrier(args.harrier, folders, stripped),
            "Rspamd": run_rspamd(work, folders, stripped),
            "SpamAssassin": run_spamd(work, folders, stripped),
        }

    tools = list(results)
    print("| folder | label | messages | " + " | ".join(tools) + " |")
    print("|---|---|---|" + "---|" * len(tools))
    for label, folder in folders:
        cells = []
        for tool in tools:
            flagged = results[tool][0][folder.name]
            cells.append(f"{flagged} ({100 * flagged / max(counts[folder.name], 1):.2f} %)")
        print(f"| {folder.name} | {label} | {counts[folder.name]} | " + " | ".join(cells) + " |")
    for label in ["ham", "phish"]:
        names = [folder.name for folder_label, folder in folders if folder_label == label]
        messages = sum(counts[name] for name in names)
        if not names or messages == 0:
            continue
        cells = []
        for tool in tools:
            flagged = sum(results[tool][0][name] for name in names)
            cells.append(f"{flagged} ({100 * flagged / messages:.2f} %)")
        print(f"| all {label} | {label} | {messages} | " + " | ".join(cells) + " |")

    print()
    print("| tool | messages | CPU seconds | messages per CPU-second | wall seconds |")
    print("|---|---|---|---|---|")
    for tool in tools:
        _, cpu, wall = results[tool]
        print(f"| {tool} | {total} | {cpu:.2f} | {total / cpu:,.0f} | {wall:.1f} |")


if __name__ == "__main__":
    main()
