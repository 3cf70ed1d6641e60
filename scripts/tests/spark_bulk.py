#!/usr/bin/env python3
"""Checks the Milvus bulk-insert files of scripts/spark/embed.py against the merged store.

    spark_bulk.py VICINITY STORE BULK PARTS [--milvus HOST:PORT]

Every item of STORE must be in exactly one partition's files, in both layouts (Parquet and
.npy) and both collections (codes, bits), with its id, label, merged-store row, and float code
and packed bits bit for bit as `vicinity export --format npy / npy-bits / csv` gives them.
With --milvus, the Parquet files are bulk-inserted into two new collections of a running
milvus-server (local storage, so absolute paths), and every entity is read back and compared;
--start-milvus starts one for that on a temporary folder and stops it (with its child).
Prints one line per check; exits 1 at the first failure.
"""

import argparse
import contextlib
import csv
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np
import pyarrow.parquet as pq


def fail(message):
    print(f"FAIL {message}", file=sys.stderr)
    sys.exit(1)


def check(ok, message):
    if not ok:
        fail(message)
    print(f"ok   {message}")


def export(vicinity, store, tmp):
    """The store's ids, labels, codes and bits in row order."""
    paths = {f: os.path.join(tmp, f"store.{f}") for f in ("npy", "npy-bits", "csv")}
    for fmt, path in paths.items():
        subprocess.run([vicinity, "export", store, "--format", fmt, "--out", path], check=True, capture_output=True)
    with open(paths["csv"], newline="", encoding="utf-8") as f:
        lines = list(csv.reader(f))[1:]
    return ([line[0] for line in lines], np.array([int(line[1]) for line in lines], dtype=np.int64),
            np.load(paths["npy"]), np.load(paths["npy-bits"]))


def same_bits(a, b):
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a.view(np.uint8), b.view(np.uint8))


def check_layout(layout, parts, store_items, part_ids, load):
    """load(collection, part) -> (ids, labels, rows, vectors) of one partition's file(s)."""
    ids, labels, codes, bits = store_items
    for collection, reference in (("codes", codes), ("bits", bits)):
        seen = np.zeros(len(ids), dtype=bool)
        for p in range(parts):
            pid, plabel, prow, pvec = load(collection, p)
            what = f"{layout} {collection} part-{p:05d}"
            check(len(pid) > 0 and len(pid) == len(plabel) == len(prow) == len(pvec), f"{what}: {len(pid)} items")
            check(prow.min() >= 0 and prow.max() < len(ids) and not seen[prow].any()
                  and len(np.unique(prow)) == len(prow), f"{what}: rows in range, none seen before")
            seen[prow] = True
            check(list(pid) == part_ids[p], f"{what}: the ids of STORE.part-{p}, in its row order")
            check([ids[r] for r in prow] == list(pid), f"{what}: each id is the merged store's id of its row")
            check(np.array_equal(labels[prow], plabel), f"{what}: labels equal the store's")
            check(same_bits(reference[prow], pvec), f"{what}: vectors equal the store's export bit for bit")
        check(seen.all(), f"{layout} {collection}: every one of the store's {len(ids)} items is in one partition")


def parquet_loader(bulk):
    def load(collection, p):
        path = os.path.join(bulk, "parquet", collection, f"part-{p:05d}.parquet")
        table = pq.read_table(path)
        field = "code" if collection == "codes" else "bits"
        expected = {"id": "string", "label": "int64", "row": "int64",
                    field: "list<element: float>" if field == "code" else "list<element: uint8>"}
        got = {f.name: str(f.type) for f in table.schema}
        check(got == expected, f"{path}: schema {got}")
        vec = np.array(table.column(field).to_pylist(), dtype=np.float32 if field == "code" else np.uint8)
        return (table.column("id").to_pylist(), table.column("label").to_numpy(), table.column("row").to_numpy(), vec)
    return load


def npy_loader(bulk):
    def load(collection, p):
        folder = os.path.join(bulk, "npy", collection, f"part-{p:05d}")
        field = "code" if collection == "codes" else "bits"
        arrays = {k: np.load(os.path.join(folder, f"{k}.npy")) for k in ("id", "label", "row", field)}
        check(arrays["id"].dtype.kind == "U" and arrays["label"].dtype == np.int64 and arrays["row"].dtype == np.int64
              and arrays[field].dtype == (np.float32 if field == "code" else np.uint8), f"{folder}: dtypes")
        return (list(arrays["id"]), arrays["label"], arrays["row"], arrays[field])
    return load


def milvus_import(address, bulk, parts, store_items):
    """Bulk-insert the Parquet files into fresh collections and read every entity back."""
    from pymilvus import Collection, CollectionSchema, DataType, FieldSchema, connections, utility

    host, port = address.rsplit(":", 1)
    connections.connect(host=host, port=port, timeout=30)
    ids, labels, codes, bits = store_items
    index_of = {id_: row for row, id_ in enumerate(ids)}
    for collection, field, dtype, dim, reference, index in (
        ("codes", "code", DataType.FLOAT_VECTOR, codes.shape[1], codes, ("FLAT", "L2")),
        ("bits", "bits", DataType.BINARY_VECTOR, bits.shape[1] * 8, bits, ("BIN_FLAT", "HAMMING")),
    ):
        name = f"spark_bulk_{collection}"
        if utility.has_collection(name):
            utility.drop_collection(name)
        schema = CollectionSchema([
            FieldSchema("id", DataType.VARCHAR, is_primary=True, max_length=255),
            FieldSchema("label", DataType.INT64), FieldSchema("row", DataType.INT64),
            FieldSchema(field, dtype, dim=dim)])
        c = Collection(name, schema)
        tasks = [utility.do_bulk_insert(name, files=[os.path.join(bulk, "parquet", collection, f"part-{p:05d}.parquet")])
                 for p in range(parts)]
        deadline = time.time() + 180
        while True:
            states = [utility.get_bulk_insert_state(t) for t in tasks]
            if all(s.state_name in ("Completed", "Failed") for s in states) or time.time() > deadline:
                break
            time.sleep(0.5)
        bad = [s.infos.get("failed_reason", s.state_name) for s in states if s.state_name != "Completed"]
        check(not bad, f"milvus {name}: {parts} bulk inserts completed {bad}")
        check(sum(s.row_count for s in states) == len(ids), f"milvus {name}: {len(ids)} rows imported")
        c.create_index(field, {"index_type": index[0], "metric_type": index[1], "params": {}})
        c.load()
        got = 0
        for start in range(0, len(ids), 1000):  # query results are capped at 16,384
            chunk = ids[start:start + 1000]
            expr = "id in [" + ",".join('"' + i.replace("\\", "\\\\").replace('"', '\\"') + '"' for i in chunk) + "]"
            for e in c.query(expr, output_fields=["id", "label", "row", field], consistency_level="Strong"):
                r = index_of[e["id"]]
                vec = e[field]
                vec = (np.frombuffer(vec[0] if isinstance(vec, list) else vec, dtype=np.uint8) if field == "bits"
                       else np.array(vec, dtype=np.float32))
                if e["row"] != r or e["label"] != labels[r] or not same_bits(reference[r], vec):
                    fail(f"milvus {name}: entity {e['id']} differs from the store (row {e['row']} vs {r})")
                got += 1
        check(got == len(ids), f"milvus {name}: all {got} entities read back equal the store's")
        utility.drop_collection(name)


MILVUS_PORTS = (2379, 2380, 9091, 13333, 19529, 19530, 19531, 21121, 21123, 21124, 53100)


@contextlib.contextmanager
def milvus_server(executable):
    """A milvus-server on a temporary folder, healthy, at 127.0.0.1:19530; stopped on the way out.

    Its wrapper moves a taken port silently but not etcd's peer port, so all must be free."""
    from pymilvus import connections, utility

    taken = []
    for port in MILVUS_PORTS:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                taken.append(port)
    if taken:
        fail(f"ports {taken} are taken (another milvus-server?); this check starts its own")
    with tempfile.TemporaryDirectory() as data:
        log = open(os.path.join(data, "server.log"), "w")
        server = subprocess.Popen([executable, "--data", data], stdout=log, stderr=subprocess.STDOUT)
        try:
            start = time.time()
            while True:
                try:
                    connections.connect(host="127.0.0.1", port="19530", timeout=3)
                    version = utility.get_server_version()
                    break
                except Exception:
                    if time.time() - start > 120 or server.poll() is not None:
                        log.flush()
                        tail = open(log.name).read()[-3000:]
                        fail(f"milvus-server did not become healthy in {time.time() - start:.0f} s:\n{tail}")
                    time.sleep(1)
            check(True, f"milvus-server {version} healthy {time.time() - start:.1f} s after start")
            yield "127.0.0.1:19530"
        finally:
            connections.disconnect("default")
            stop_tree(server.pid)
            server.wait()


def stop_tree(pid):
    """SIGTERM to pid and its descendants (the wrapper leaves `milvus run standalone` behind on its
    own), SIGKILL after 10 s: milvus waits up to common.gracefulStopTimeout (1,800 s) otherwise."""
    def tree(root):
        children = {}
        for entry in os.listdir("/proc"):
            try:
                stat = open(f"/proc/{entry}/stat").read()
                children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
        found, todo = [], [root]
        while todo:
            p = todo.pop()
            found.append(p)
            todo += children.get(p, [])
        return found
    def alive(p):
        try:
            return open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    pids = tree(pid)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for p in pids:
            try:
                os.kill(p, sig)
            except ProcessLookupError:
                pass
        deadline = time.time() + 10
        while sig == signal.SIGTERM and time.time() < deadline and any(alive(p) for p in pids):
            time.sleep(0.2)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("vicinity")
    p.add_argument("store")
    p.add_argument("bulk")
    p.add_argument("parts", type=int)
    p.add_argument("--milvus", help="HOST:PORT of a milvus-server to bulk-insert the Parquet files into")
    p.add_argument("--start-milvus", metavar="MILVUS_SERVER", help="start this milvus-server for the import, and stop it")
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        items = export(a.vicinity, a.store, tmp)
        part_ids = [export(a.vicinity, f"{a.store}.part-{i}", tmp)[0] for i in range(a.parts)]
    names = {c: sorted(os.listdir(os.path.join(a.bulk, "parquet", c))) for c in ("codes", "bits")}
    check(all(v == [f"part-{i:05d}.parquet" for i in range(a.parts)] for v in names.values()),
          f"one Parquet file per partition and collection ({a.parts} each)")
    check_layout("parquet", a.parts, items, part_ids, parquet_loader(a.bulk))
    check_layout("npy", a.parts, items, part_ids, npy_loader(a.bulk))
    if a.milvus:
        milvus_import(a.milvus, os.path.abspath(a.bulk), a.parts, items)
    elif a.start_milvus:
        with milvus_server(a.start_milvus) as address:
            milvus_import(address, os.path.abspath(a.bulk), a.parts, items)


if __name__ == "__main__":
    main()
