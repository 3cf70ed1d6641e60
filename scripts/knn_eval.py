#!/usr/bin/env python3
"""kNN classification accuracy measured through a running `vicinity serve`.

Sends every test image as `KNN k U8 <pixel bytes>` (RESP, pipelined),
votes over the replies and prints the same table as
`vicinity eval --model M --store S` on the model and store the server holds.
Python standard library only: this is the reference client for the protocol
(docs/PROTOCOL.md).

    scripts/knn_eval.py [--host 127.0.0.1] [--port 7878] [--data fashion-mnist]
                        [--k 1,3,5,10] [--confusion-k 5] [--limit N] [--json]
"""
import argparse
import gzip
import json
import os
import socket
import struct
import sys
import threading
import time

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
FASHION_MNIST_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


class ClientError(Exception):
    pass


def data_directory(spec):
    if spec.lower() == "fashion-mnist":
        return os.environ.get("VICINITY_FASHION_MNIST") or FASHION_MNIST_DIR
    return spec


def read_idx(directory, stem):
    """The array in `stem` (with or without .gz) as (dims, bytes)."""
    for name in (stem, stem + ".gz"):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            opener = gzip.open if name.endswith(".gz") else open
            with opener(path, "rb") as f:
                raw = f.read()
            break
    else:
        raise ClientError(f"no {stem}[.gz] in {directory}")
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ClientError(f"{path}: not an IDX file of unsigned bytes")
    rank = raw[3]
    dims = struct.unpack(">" + "I" * rank, raw[4:4 + 4 * rank])
    body = raw[4 + 4 * rank:]
    total = 1
    for d in dims:
        total *= d
    if len(body) != total:
        raise ClientError(f"{path}: {len(body)} bytes of data, header says {total}")
    return dims, body


def load_test_split(directory):
    dims, pixels = read_idx(directory, "t10k-images-idx3-ubyte")
    (count,), labels = read_idx(directory, "t10k-labels-idx1-ubyte")
    if dims[0] != count:
        raise ClientError(f"{directory}: {dims[0]} test images but {count} labels")
    size = dims[1] * dims[2]
    images = [pixels[i * size:(i + 1) * size] for i in range(count)]
    return images, list(labels)


class Connection:
    """A RESP connection: commands out as arrays of bulk strings (binary safe), RESP2 replies in."""

    def __init__(self, host, port, timeout):
        try:
            self.sock = socket.create_connection((host, port), timeout=timeout)
        except OSError as e:
            raise ClientError(f"cannot connect to {host}:{port}: {e} (is `vicinity serve` running?)")
        self.reader = self.sock.makefile("rb")

    @staticmethod
    def encode(*args):
        parts = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(parts)

    def send(self, *args):
        self.sock.sendall(self.encode(*args))

    def value(self):
        """One RESP2 value; an error reply raises."""
        line = self.reader.readline()
        if not line:
            raise ClientError("the server closed the connection")
        kind, rest = line[:1], line[1:].rstrip(b"\r\n")
        if kind == b"-":
            raise ClientError(f"server replied: {rest.decode()}")
        if kind in (b"+", b":"):
            return int(rest) if kind == b":" else rest.decode()
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.reader.read(n + 2)
            return data[:n].decode()
        if kind == b"*":
            return [self.value() for _ in range(int(rest))]
        raise ClientError(f"not a RESP reply: {line!r}")


def predict(labels):
    """Majority vote; a tie goes to the tied class whose member is nearest."""
    counts = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    if not counts:
        return -1
    best = max(counts.values())
    return next(label for label in labels if counts[label] == best)


def pipelined(conn, requests, window, parse):
    """Each request's parsed reply, in order; requests pipelined, `window` in flight."""
    sent = threading.Semaphore(window)
    failure = []

    def writer():
        try:
            for request in requests:
                sent.acquire()
                conn.sock.sendall(request)
        except OSError as e:
            failure.append(e)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    result = []
    for _ in requests:
        result.append(parse(conn.value()))
        sent.release()
    thread.join()
    if failure:
        raise ClientError(f"sending failed: {failure[0]}")
    return result


def neighbour_labels(conn, images, k, window):
    """Each image's neighbour labels, nearest first (KNN k U8 …)."""
    requests = [Connection.encode("KNN", k, "U8", bytes(image)) for image in images]
    return pipelined(conn, requests, window, lambda rows: [row[3] for row in rows])


def server_votes(conn, images, k, window):
    """Each image's label as the server's CLASSIFY k votes it (a RESP2 map: label, share, votes)."""
    requests = [Connection.encode("CLASSIFY", k, "U8", bytes(image)) for image in images]
    return pipelined(conn, requests, window, lambda reply: dict(zip(reply[::2], reply[1::2]))["label"])


def scores(neighbours, truth, k, classes, predicted=None):
    predicted = predicted if predicted is not None else [predict(labels[:k]) for labels in neighbours]
    confusion = [[0] * classes for _ in range(classes)]
    errors = 0
    for p, t in zip(predicted, truth):
        if p != t:
            errors += 1
        if 0 <= t and 0 <= p < classes:
            confusion[t][p] += 1
    per_class = []
    for c in range(classes):
        total = sum(1 for t in truth if t == c)
        per_class.append(0.0 if total == 0 else 100 * (total - confusion[c][c]) / total)
    percent = 0.0 if not truth else 100 * errors / len(truth)
    return {"errors": errors, "percent": percent, "per_class": per_class, "confusion": confusion,
            "predicted": predicted}


def table(ks, by_k, confusion_k, class_names):
    """The lines `vicinity eval` prints (KNNReport.table)."""
    lines = ["k     errors   kNN error"]
    for k in ks:
        lines.append("%-5d %6d   %6.2f %%" % (k, by_k[k]["errors"], by_k[k]["percent"]))
    s = by_k[confusion_k]
    lines.append("")
    lines.append(f"per class at k={confusion_k}: error, then predicted counts (confusion matrix, rows = true class)")
    lines.append("class" + " " * 14 + "error  " + "".join("%5d" % c for c in range(len(s["confusion"]))))
    for c, row in enumerate(s["confusion"]):
        name = f"{c} " + (class_names[c] if c < len(class_names) else "")
        lines.append(name[:16].ljust(16) + "%6.2f %%" % s["per_class"][c] + "  " + "".join("%5d" % n for n in row))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7878)
    parser.add_argument("--data", default="fashion-mnist",
                        help="fashion-mnist, or a folder holding t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz]")
    parser.add_argument("--k", default="1,3,5,10", help="comma-separated neighbour counts")
    parser.add_argument("--confusion-k", type=int, default=5)
    parser.add_argument("--limit", type=int, help="only the first N test images")
    parser.add_argument("--window", type=int, default=512, help="requests in flight")
    parser.add_argument("--auth", default=os.environ.get("VICINITY_AUTH_TOKEN"), help="token for AUTH")
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait for any reply")
    parser.add_argument("--predictions", help="write each query's true label and predictions (per k) as CSV")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--classify", action="store_true",
                        help="take each k's predictions from the server's CLASSIFY instead of voting here")
    args = parser.parse_args()
    try:
        ks = [int(k) for k in args.k.split(",")]
        if not ks or min(ks) < 1:
            raise ValueError
    except ValueError:
        parser.error(f"--k must be a comma-separated list of positive integers, got '{args.k}'")
    if args.window < 1:
        parser.error("--window must be at least 1")
    confusion_k = args.confusion_k if args.confusion_k in ks else (5 if 5 in ks else ks[0])

    try:
        images, truth = load_test_split(data_directory(args.data))
        if args.limit is not None:
            images, truth = images[:args.limit], truth[:args.limit]
        conn = Connection(args.host, args.port, args.timeout)
        if args.auth:
            conn.send("AUTH", args.auth)
            conn.value()
        conn.send("INFO", "vicinity")
        info = dict(line.split(":", 1) for line in conn.value().split("\r\n") if ":" in line)
        start = time.time()
        neighbours = neighbour_labels(conn, images, max(ks), args.window)
        seconds = time.time() - start
        voted = {k: server_votes(conn, images, k, args.window) for k in ks} if args.classify else {}
    except (ClientError, OSError) as e:
        sys.exit(f"knn_eval: {e}")

    largest_label = max((max(n) for n in neighbours if n), default=-1)
    classes = max(largest_label, max(truth, default=-1)) + 1
    by_k = {k: scores(neighbours, truth, k, classes, voted.get(k)) for k in ks}
    class_names = FASHION_MNIST_CLASSES if args.data.lower() == "fashion-mnist" else []
    if args.predictions:
        with open(args.predictions, "w") as f:
            f.write("query,label," + ",".join(f"k{k}" for k in ks) + "\n")
            for q, t in enumerate(truth):
                f.write(f"{q},{t}," + ",".join(str(by_k[k]["predicted"][q]) for k in ks) + "\n")
    if args.json:
        print(json.dumps({
            "server": f"{args.host}:{args.port}", "model": info.get("model"), "queries": len(truth),
            "database": int(info.get("items", "0") or 0), "seconds": seconds,
            "knn_error_percent": {str(k): by_k[k]["percent"] for k in ks},
            "knn_errors": {str(k): by_k[k]["errors"] for k in ks},
            "per_class_error_percent": {str(k): by_k[k]["per_class"] for k in ks},
            "confusion": {"k": confusion_k, "matrix": by_k[confusion_k]["confusion"]},
        }, sort_keys=True))
        return
    print(f"server {args.host}:{args.port} · model {info.get('model', '?')} · {len(truth)} queries against "
          f"{info.get('items', '?')} · {seconds:.1f} s ({len(truth) / max(seconds, 1e-9):.0f} queries/s)")
    print(table(ks, by_k, confusion_k, class_names))


if __name__ == "__main__":
    main()
