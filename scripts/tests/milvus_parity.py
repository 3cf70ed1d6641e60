#!/usr/bin/env python3
"""Sends the same requests to a `vicinity serve --store` and a `vicinity serve --backend milvus://…`
serving the same store, and compares the reply bytes (scripts/tests/milvus-parity runs it).

Requests go in three styles, each on its own connection per server: plain text, RESP2 and RESP3
(after HELLO 3). Each is followed by a PING, whose PONG marks where the reply ends. Exits 1 at the
first request whose replies differ, printing both."""
import argparse, csv, gzip, os, random, socket, sys, time

import numpy as np


class Conn:
    def __init__(self, port, style):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.style = style
        self.buf = b""
        if style == "resp3":
            self.ask(["HELLO", "3"])

    def encode(self, words):
        if self.style == "plain":
            return (" ".join(words) + "\n").encode()
        out = b"*%d\r\n" % len(words)
        for w in words:
            b = w.encode()
            out += b"$%d\r\n%s\r\n" % (len(b), b)
        return out

    def ask(self, words):
        """The reply's bytes, found by the PONG of a PING sent right after."""
        sentinel = b"PONG\n" if self.style == "plain" else b"+PONG\r\n"
        self.sock.sendall(self.encode(words) + self.encode(["PING"]))
        while True:
            if self.buf.endswith(sentinel) and (len(self.buf) == len(sentinel) or self.buf[-len(sentinel) - 1:-len(sentinel)] == b"\n"):
                reply, self.buf = self.buf[: -len(sentinel)], b""
                return reply
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                sys.exit(f"milvus-parity: a server closed the connection after {' '.join(words)[:120]}")
            self.buf += chunk


def training_pixels(count):
    """The first `count` Fashion-MNIST training images, as the comma-separated pixels RAW takes."""
    folder = os.environ.get("VICINITY_FASHION_MNIST", "/usr/share/datasets/fashion-mnist")
    with gzip.open(os.path.join(folder, "train-images-idx3-ubyte.gz")) as f:
        data = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 784)
    return [",".join(map(str, data[i])) for i in range(count)]


def queries(ids, dims, bits, rng, rows):
    """Read requests spread over the store: every kind, several k and r, NOSELF, ROW, VEC, BITS."""
    q = [["COUNT"]]
    pick = lambda n: rng.sample(ids, n)
    q += [["GET", i] for i in pick(12)] + [["GET", "no-such-item"]]
    q += [["KNN", str(rng.choice([1, 5, 10, 20, 50, 100])), "ID", i] for i in pick(30)]
    q += [["KNN", str(rng.choice([3, 10, 30])), "ID", i, "NOSELF"] for i in pick(8)]
    q += [["KNN", str(rng.choice([1, 10])), "ROW", str(r)] for r in [0, rows - 1] + rng.sample(range(rows), 5)]
    q += [["KNN", "10", "VEC", ",".join(f"{rng.uniform(-2, 2):.3f}" for _ in range(dims))] for _ in range(4)]
    q += [["CLASSIFY", "10", "ID", i] for i in pick(4)]
    q += [["HAMMING", str(rng.choice([1, 5, 10, 20, 50, 100])), "ID", i] for i in pick(30)]
    q += [["HAMMING", "10", "ID", i, "NOSELF"] for i in pick(6)]
    q += [["HAMMING", "10", "ROW", str(r)] for r in [0, rows - 1] + rng.sample(range(rows), 3)]
    q += [["HAMMING", "20", "BITS", "%0*x" % ((bits + 3) // 4, rng.getrandbits(bits))] for _ in range(3)]
    q += [["RADIUS", str(rng.choice([0, 1, 2, 3, 4, 6, 8])), "ID", i] for i in pick(16)]
    q += [["RADIUS", "3", "ID", i, "NOSELF"] for i in pick(4)]
    q += [["KNN", "5", "ID", "no-such-item"], ["HAMMING", "5", "ROW", str(rows + 5)]]
    # The store key's vector-set commands go through the same engine.
    q += [["VSIM", "parity", "ELE", i, "COUNT", "5", "WITHSCORES"] for i in pick(4)]
    q += [["VEMB", "parity", i] for i in pick(2)] + [["VISMEMBER", "parity", i] for i in pick(2)]
    q += [["VCARD", "parity"], ["VDIM", "parity"]]
    rng.shuffle(q)
    return q


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--local", type=int, required=True)
    ap.add_argument("--milvus", type=int, required=True)
    ap.add_argument("--ids", required=True, help="the store exported as CSV (id,label,c0,…)")
    ap.add_argument("--bits", type=int, required=True)
    args = ap.parse_args()
    with open(args.ids) as f:
        reader = csv.reader(f)
        dims = len(next(reader)) - 2
        ids = [row[0] for row in reader]
    rng = random.Random(19)
    styles = ["plain", "resp2", "resp3"]
    local = {s: Conn(args.local, s) for s in styles}
    remote = {s: Conn(args.milvus, s) for s in styles}
    compared = answered = 0
    started = time.time()

    def check(words, style=None):
        nonlocal compared, answered
        style = style or rng.choice(styles)
        a, b = local[style].ask(words), remote[style].ask(words)
        compared += 1
        if a != b:
            print(f"milvus-parity: request {compared} ({style}) differs: {' '.join(words)[:200]}", file=sys.stderr)
            print(f"  local:  {a[:600]!r}\n  milvus: {b[:600]!r}", file=sys.stderr)
            sys.exit(1)
        answered += not (a.startswith(b"ERR") or a.startswith(b"-"))

    rows = len(ids)
    images = training_pixels(16)
    for words in queries(ids, dims, args.bits, rng, rows):
        check(words)
    for pixels in images[12:16]:  # queries embedded by each server's model
        check(["KNN", "10", "RAW", pixels], "plain")
        check(["CLASSIFY", "5", "RAW", pixels], "plain")
    # Writes, each followed by requests that see it: ADDs take the next rows; a DEL moves the
    # last row into the hole, so ROW queries and ties ordered by row must follow on both sides.
    for n, pixels in enumerate(images[:10]):
        check(["ADD", f"new-{n}", str(n % 10), "RAW", pixels], "plain")
        rows += 1
        check(["KNN", "10", "ID", f"new-{n}"])
        check(["HAMMING", "10", "ID", f"new-{n}"])
    check(["ADD", "new-0", "1", "RAW", images[10]])  # EXISTS
    ids += [f"new-{n}" for n in range(10)]
    for victim in [ids[0], ids[1], ids[rows // 2], "new-3", ids[rows - 1], ids[17], "new-7", ids[500]]:
        row_before = ids.index(victim)
        check(["DEL", victim], "plain")
        ids[row_before] = ids[-1]
        ids.pop()
        rows -= 1
        check(["COUNT"])
        check(["GET", victim])
        check(["KNN", "5", "ROW", str(min(row_before, rows - 1))])
        check(["HAMMING", "5", "ROW", str(min(row_before, rows - 1))])
    check(["DEL", "no-such-item"])
    for words in queries(ids, dims, args.bits, rng, rows):
        check(words)
    seconds = time.time() - started
    print(f"milvus-parity: {compared} requests, identical replies from both engines ({answered} answers, "
          f"{compared - answered} errors), {seconds:.1f} s")
    if compared < 300 or answered < 250:
        sys.exit(f"milvus-parity: too few requests compared ({compared}) or answered ({answered})")


if __name__ == "__main__":
    main()
