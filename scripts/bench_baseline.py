#!/usr/bin/env python3
"""The peer of cognito-watch's trail paths: what a few lines of Python in a Lambda would do with
the same bytes (json + Counter: parse each record, keep the Cognito ones, tally requests and
failures by pool and event, by client, by source IP and error code).

Usage: bench_baseline.py DIR   (the files `bench gen DIR` wrote); prints one JSON line.
"""

import base64
import gzip
import json
import sys
import time
from collections import Counter


def tally(records, counts):
    n = 0
    for r in records:
        n += 1
        if r.get("eventSource") != "cognito-idp.amazonaws.com":
            continue
        req = r.get("requestParameters") or {}
        extra = r.get("additionalEventData") or {}
        client = req.get("clientId") or ((extra.get("requestParameters") or {}).get("client_id") or [None])[0]
        pool = req.get("userPoolId") or extra.get("userPoolId")
        window = r.get("eventTime", "")[:15]
        failed = "errorCode" in r
        counts[(pool, window, "event", r.get("eventName"))] += 1
        counts[(pool, window, "client", client)] += 1
        counts[(pool, window, "ip", r.get("sourceIPAddress"))] += 1
        if failed:
            counts[(pool, window, "error", r.get("errorCode"))] += 1
    return n


def shape(name, d):
    counts = Counter()
    started = time.perf_counter()
    if name == "file":
        with gzip.open(f"{d}/trail.json.gz", "rb") as f:
            n = tally(json.load(f)["Records"], counts)
    elif name == "records":
        with open(f"{d}/records.json", "rb") as f:
            n = tally(json.loads(f.read())["Records"], counts)
    elif name == "eventbridge":
        n = 0
        with open(f"{d}/eventbridge.jsonl", "rb") as f:
            for line in f:
                n += tally([json.loads(line)["detail"]], counts)
    elif name == "logs":
        n = 0
        with open(f"{d}/logs.jsonl", "rb") as f:
            for line in f:
                data = json.loads(line)["awslogs"]["data"]
                batch = json.loads(gzip.decompress(base64.b64decode(data)))
                n += tally((json.loads(e["message"]) for e in batch["logEvents"]), counts)
    else:
        raise SystemExit(f"unknown shape {name}")
    return n, time.perf_counter() - started


def main():
    d = sys.argv[1]
    out = {}
    for name in ["eventbridge", "logs", "file", "records"]:
        best, n = float("inf"), 0
        for _ in range(3):
            n, s = shape(name, d)
            best = min(best, s)
        out[name] = {"records": n, "seconds": best, "per_second": n / best}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
