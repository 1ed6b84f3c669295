"""Sends GET /api/v1/incidents requests to a harrier service and prints latency percentiles.

    python3 bench/api_load.py URL TOKEN REQUESTS CONCURRENCY

Each thread keeps one HTTP/1.1 connection open. Latency is measured per request from sending to the last
byte of the body, with time.perf_counter. Uses the standard library only.
"""

import http.client
import json
import statistics
import sys
import threading
import time
import urllib.parse

PATH = "/api/v1/incidents?sort=-score&limit=50"


def worker(url, token, count, latencies, errors):
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(count):
        start = time.perf_counter()
        connection.request("GET", PATH, headers=headers)
        response = connection.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - start
        if response.status != 200:
            errors.append(f"status {response.status}: {body[:200]!r}")
            continue
        latencies.append(elapsed)
    connection.close()


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main():
    url, token, requests, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    latencies, errors = [], []
    per_thread = [requests // concurrency + (1 if i < requests % concurrency else 0) for i in range(concurrency)]
    threads = [threading.Thread(target=worker, args=(url, token, n, latencies, errors)) for n in per_thread]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    if errors:
        print(f"{len(errors)} requests failed, first: {errors[0]}", file=sys.stderr)
    if not latencies:
        sys.exit("no request succeeded")
    result = {
        "path": PATH,
        "requests": len(latencies),
        "concurrency": concurrency,
        "requests_per_second": round(len(latencies) / wall, 1),
        "median_ms": round(statistics.median(latencies) * 1000, 2),
        "p90_ms": round(percentile(latencies, 0.90) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "max_ms": round(max(latencies) * 1000, 2),
    }
    print(json.dumps(result))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
