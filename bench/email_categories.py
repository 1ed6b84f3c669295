#!/usr/bin/env python3
"""Splits a phishing folder into rough lure categories and prints harrier's detection rate for each.

    python3 bench/email_categories.py --harrier target/release/harrier FOLDER

The category is the first whose pattern matches the subject and the first 5,000 characters of the body,
in the order of CATEGORIES, so the specific lures (crypto, casino) come before the broad ones (account,
invoice). Messages whose From address is one of their own To addresses are counted apart: in a honeypot
they were forwarded by the mailbox owner, so their From address shows nothing of the original sender. The split is
a keyword heuristic for reading the results, not a label.
"""

import argparse
import collections
import email
import email.policy
import json
import re
import subprocess
from pathlib import Path

THREATS = {"credential_phishing", "bec_fraud", "malware"}

CATEGORIES = [
    ("crypto", r"bitcoin|\bbtc\b|crypto|wallet|\bxrp\b|ethereum|\beth\b|usdt|airdrop|\bnft|staking|blockchain"),
    ("casino", r"casino|freispiel|free spins|gratis spins|no deposit|einzahlung|jackpot"),
    ("dating or adult", r"\bsex|dating|lonely|girls|meisje|filles|ontmoet|volwassen"),
    ("prize, lottery or gift card", r"prize|lottery|winner|you won|reward|gift ?card|gutschein|gewinn|sweepstake|congratulat|glückwunsch|gefeliciteerd|beloning|prêmio|survey|umfrage|enquête"),
    ("advance fee or BEC", r"beneficiary|inheritance|next of kin|business proposal|partnership|barrister|diplomat|consignment|compensation|donation|late husband"),
    ("credential or account", r"password|sign[- ]?in|log ?in|verify your|suspend|mailbox|unusual activity|senha|e-?mail quota|storage (is )?full"),
    ("invoice, payment or delivery", r"invoice|nota fiscal|boleto|fatura|payment|pagamento|pedido|delivery|package|parcel|shipment|pakket|sendung|tracking|encomenda|rechnung|factura|receipt|renewal|subscription|membership"),
    ("products and services", r"keto|diet|weight|hair|health|saúde|plano|energy|energie|solar|zonnepan|teeth|pill|supplement|loan|insurance|cash offer"),
]


def category(path):
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    sender = str(message.get("From") or "").lower()
    recipients = str(message.get("To") or "").lower()
    address = re.search(r"[\w.+-]+@[\w.-]+", sender)
    if address and address.group(0) in recipients:
        return "forwarded by the mailbox owner"
    body = ""
    try:
        part = message.get_body(preferencelist=("plain", "html"))
        body = part.get_content()[:5000] if part else ""
    except (KeyError, LookupError, ValueError):
        pass
    text = f"{message.get('Subject') or ''} {body}".lower()
    for name, pattern in CATEGORIES:
        if re.search(pattern, text):
            return name
    return "other"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--harrier", required=True, help="path of the harrier binary")
    parser.add_argument("folder", type=Path, help="folder of phishing messages, one file per message")
    args = parser.parse_args()

    output = subprocess.run([args.harrier, "scan", "--json", str(args.folder)], check=True, capture_output=True, text=True).stdout
    counts = collections.defaultdict(lambda: [0, 0])
    for line in output.splitlines():
        record = json.loads(line)
        name = category(Path(record["path"]))
        counts[name][1] += 1
        counts[name][0] += record["verdict"]["class"] in THREATS
    print("| category | messages | phishing, fraud or malware | rate |")
    print("|---|---|---|---|")
    for name, (detected, total) in sorted(counts.items(), key=lambda item: -item[1][1]):
        print(f"| {name} | {total} | {detected} | {100 * detected / total:.0f} % |")


if __name__ == "__main__":
    main()
