#!/usr/bin/env python3
"""Sends mail to an SMTP server at a steady rate and prints the latency of each transaction.

    python3 bench/milter_load.py PORT COUNT RATE MESSAGE...

Each message is sent on its own connection, COUNT in all, cycling through the MESSAGE files, starting one
every 1/RATE seconds. The latency is the time from connecting to the server's reply to the end of DATA,
the reply Postfix gives only after its milters have answered. One line per message on standard output:
the latency in microseconds and the reply code.
"""

import smtplib
import sys
import threading
import time


def send(port, message, results, index):
    started = time.perf_counter()
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
            client.ehlo("bench.test")
            client.mail("sender@sender.example")
            client.rcpt("bob@recipient.example")
            code, _ = client.data(message)
    except smtplib.SMTPResponseException as error:
        code = error.smtp_code
    except OSError as error:
        print(f"message {index}: {error}", file=sys.stderr)
        code = 0
    results[index] = (int((time.perf_counter() - started) * 1e6), code)


def main():
    port, count, rate = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    messages = []
    for path in sys.argv[4:]:
        with open(path, "rb") as file:
            messages.append(file.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    results = [None] * count
    threads = []
    start = time.perf_counter()
    for index in range(count):
        delay = start + index / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        thread = threading.Thread(target=send, args=(port, messages[index % len(messages)], results, index))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    for latency, code in results:
        print(latency, code)


if __name__ == "__main__":
    main()
