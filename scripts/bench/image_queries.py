#!/usr/bin/env python3
"""Image queries from many connections at once: throughput, latency and images per model pass.

Starts `vicinity serve` once per --embed-wait-us value, then C connections each send
`KNN 10 U8 <784 bytes>` for their own share of the 10k Fashion-MNIST test images, one
request at a time (no pipelining: what batches them is the server taking queries from
several connections into one pass). Prints queries/s, p50/p99 latency and the mean
number of images per model pass (INFO image_queries_embedded / embed_passes).

    scripts/bench/image_queries.py --vicinity BIN --store S --model M [--clients 50] [--waits 0,200,1000]
"""
import argparse
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from knn_eval import Connection, data_directory, load_test_split  # noqa: E402


def info(port):
    conn = Connection("127.0.0.1", port, 10)
    conn.send("INFO")
    text = conn.value()
    conn.sock.close()
    # Over RESP the server answers INFO as Redis does: `name:value` lines.
    return dict(line.strip().split(":", 1) for line in text.splitlines() if ":" in line)


def run(args, wait, images):
    server = subprocess.Popen(
        [args.vicinity, "serve", "--store", args.store, "--model", args.model, "--port", "0",
         "--embed-wait-us", str(wait)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = server.stdout.readline()
        if "listening" not in line:
            raise SystemExit(f"vicinity serve did not start: {line!r}")
        port = int(line.split()[2])
        before = info(port)
        latencies = [[] for _ in range(args.clients)]

        def client(c):
            conn = Connection("127.0.0.1", port, 60)
            for i in range(c, len(images), args.clients):
                start = time.perf_counter()
                conn.send("KNN", 10, "U8", images[i])
                rows = conn.value()
                latencies[c].append(time.perf_counter() - start)
                if len(rows) != 10:
                    raise SystemExit(f"query {i}: {len(rows)} rows")
            conn.sock.close()

        threads = [threading.Thread(target=client, args=(c,)) for c in range(args.clients)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.perf_counter() - start
        after = info(port)
        every = sorted(x for per in latencies for x in per)
        embedded = int(after["image_queries_embedded"]) - int(before["image_queries_embedded"])
        passes = int(after["embed_passes"]) - int(before["embed_passes"])
        return {"wait_us": wait, "queries": len(every), "qps": len(every) / seconds,
                "p50_ms": 1000 * every[len(every) // 2], "p99_ms": 1000 * every[int(len(every) * 0.99)],
                "images_per_pass": embedded / max(passes, 1)}
    finally:
        server.terminate()
        server.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vicinity", required=True, help="the vicinity binary")
    parser.add_argument("--store", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--waits", default="0,200,1000", help="--embed-wait-us values, comma-separated")
    parser.add_argument("--limit", type=int, default=10000, help="test images to send")
    args = parser.parse_args()
    images, _ = load_test_split(data_directory("fashion-mnist"))
    images = [bytes(image) for image in images[:args.limit]]
    print(f"{args.clients} connections, one KNN 10 U8 request at a time each, {len(images)} distinct test images")
    print("embed-wait-us   queries/s   p50 ms   p99 ms   images per model pass")
    for wait in (int(w) for w in args.waits.split(",")):
        r = run(args, wait, images)
        print("%13d   %9.0f   %6.2f   %6.2f   %21.1f" % (
            r["wait_us"], r["qps"], r["p50_ms"], r["p99_ms"], r["images_per_pass"]))


if __name__ == "__main__":
    main()
