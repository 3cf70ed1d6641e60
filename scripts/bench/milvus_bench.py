#!/usr/bin/env python3
"""Query throughput and p99 latency of two servers answering the same store — the local engine
and the Milvus backend — through the same protocol, one after the other in the same run
(scripts/bench/milvus runs it). Each of `--clients` connections sends one request at a time
(KNN 10 ID x, HAMMING 10 ID x, RADIUS 2 ID x for random items) for `--seconds`."""
import argparse, csv, random, socket, sys, threading, time


def run(port, kind, ids, clients, seconds):
    latencies, failures, lock = [], [], threading.Lock()
    stop = time.time() + seconds

    def client(seed):
        rng = random.Random(seed)
        s = socket.create_connection(("127.0.0.1", port), timeout=60)
        f = s.makefile("rb")
        mine = []
        while time.time() < stop:
            words = {"knn": "KNN 10 ID", "hamming": "HAMMING 10 ID", "radius": "RADIUS 2 ID"}[kind]
            began = time.perf_counter()
            s.sendall(f"{words} {rng.choice(ids)}\n".encode())
            line = f.readline()
            if line.startswith(b"ERR NOTFOUND"):  # an item the parity check deleted
                continue
            if line.startswith(b"ERR") or not line:
                failures.append(line.decode().strip() or "connection closed")
                break
            while line != b"END\n":
                line = f.readline()
            mine.append(time.perf_counter() - began)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    began = time.time()
    for t in threads: t.start()
    for t in threads: t.join()
    elapsed = time.time() - began
    if failures or not latencies:
        sys.exit(f"milvus-bench: {kind} on port {port}: {failures[:1] or 'no replies'}")
    latencies.sort()
    return len(latencies) / elapsed, latencies[int(0.99 * (len(latencies) - 1))] * 1000, latencies[len(latencies) // 2] * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--local", type=int, required=True)
    ap.add_argument("--milvus", type=int, required=True)
    ap.add_argument("--ids", required=True)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=10)
    args = ap.parse_args()
    with open(args.ids) as f:
        ids = [row[0] for row in list(csv.reader(f))[1:]]
    print(f"| query | local q/s | Milvus q/s | throughput Milvus/local | local p99 ms | Milvus p99 ms | p99 Milvus/local |")
    print("|---|---|---|---|---|---|---|")
    for kind in ["knn", "hamming", "radius"]:
        lq, lp, _ = run(args.local, kind, ids, args.clients, args.seconds)
        mq, mp, _ = run(args.milvus, kind, ids, args.clients, args.seconds)
        print(f"| {kind.upper()} | {lq:.0f} | {mq:.0f} | {mq / lq:.3f} | {lp:.2f} | {mp:.2f} | {mp / lp:.1f} |")


if __name__ == "__main__":
    main()
