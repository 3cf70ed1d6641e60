#!/usr/bin/env python3
"""Reads a running `vicinity serve --metrics-port`'s /metrics with Prometheus's own text parser.

Checks what a scraper relies on: the page parses, every family the server documents is there
with its type, each latency histogram is cumulative with +Inf equal to its count and the
documented buckets (50 µs to 1 s). Prints the samples as JSON ({"name{label=value}": number})
for the caller to compare with what it sent; exits non-zero with the failed checks listed.
Run by Tests/VicinityCLITests/MetricsTests.swift through the test virtual environment
(scripts/setup makes it).

    prometheus_metrics.py --url http://127.0.0.1:PORT/metrics
"""
import argparse
import json
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

# Family name (as the parser reports it: counters without _total) → type.
EXPECTED = {
    "vicinity_requests": "counter",
    "vicinity_request_errors": "counter",
    "vicinity_request_duration_seconds": "histogram",
    "vicinity_connections": "counter",
    "vicinity_connections_refused": "counter",
    "vicinity_protocol_errors": "counter",
    "vicinity_connections_open": "gauge",
    "vicinity_store_items": "gauge",
    "vicinity_store_bytes": "gauge",
    "vicinity_last_snapshot_timestamp_seconds": "gauge",
    "vicinity_uptime_seconds": "gauge",
}
BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0]

failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print(f"FAIL {what}", file=sys.stderr)


def key(sample):
    labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
    return f"{sample.name}{{{labels}}}" if labels else sample.name


def check_histogram(family):
    by_command = {}
    for s in family.samples:
        by_command.setdefault(s.labels.get("command"), []).append(s)
    for command, samples in by_command.items():
        buckets = [(float(s.labels["le"]), s.value) for s in samples if s.name.endswith("_bucket")]
        count = [s.value for s in samples if s.name.endswith("_count")]
        check(len(count) == 1, f"{command}: one _count")
        check([b for b, _ in buckets] == BUCKETS + [float("inf")], f"{command}: buckets {[b for b, _ in buckets]}")
        values = [v for _, v in buckets]
        check(values == sorted(values), f"{command}: buckets not cumulative: {values}")
        check(bool(count) and values[-1] == count[0], f"{command}: +Inf {values[-1]} != count {count}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    args = parser.parse_args()
    with urllib.request.urlopen(args.url, timeout=10) as response:
        check(response.status == 200, f"status {response.status}")
        check(response.headers.get_content_type() == "text/plain", f"content type {response.headers['Content-Type']}")
        text = response.read().decode("utf-8")
    families = {f.name: f for f in text_string_to_metric_families(text)}
    for name, kind in EXPECTED.items():
        check(name in families, f"{name} missing")
        if name in families:
            check(families[name].type == kind, f"{name}: type {families[name].type}, not {kind}")
    check(not set(families) - set(EXPECTED), f"undocumented families {sorted(set(families) - set(EXPECTED))}")
    if "vicinity_request_duration_seconds" in families:
        check_histogram(families["vicinity_request_duration_seconds"])
    print(json.dumps({key(s): s.value for f in families.values() for s in f.samples}, sort_keys=True))
    print(f"prometheus: {len(failures)} failed checks", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
