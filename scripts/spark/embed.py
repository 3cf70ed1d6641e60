#!/usr/bin/env python3
"""Embed an image set on a Spark cluster with the real `vicinity` binary (issue 19).

    spark-submit [--master local[2]] scripts/spark/embed.py \\
        --vicinity .build/release/vicinity --model models/default.safetensors \\
        --store /shared/stores/NAME [--parts N] [--bulk /shared/bulk/NAME] \\
        -- --images /shared/train-images-idx3-ubyte --labels /shared/train-labels-idx1-ubyte

Everything after `--` goes to `vicinity embed` unchanged: the input (`--data`, `--images`,
`--labels`, `--perturbed`, ...) and options such as `--batch` or `--id-prefix`. Task i runs
`vicinity embed --partition i/N --store NAME.part-i`, which cuts the input on the windows a
single run uses, so the driver's `vicinity merge` writes the single run's store byte for byte.
With --bulk, each partition also gets files in Milvus 2.3's bulk-insert layout (codes and bits
go to two collections: Milvus 2.3 allows one vector field per collection):

    BULK/parquet/codes/part-00000.parquet   id, label, row, code (list<float32>)
    BULK/parquet/bits/part-00000.parquet    id, label, row, bits (list<uint8>, packed)
    BULK/npy/codes/part-00000/{id,label,row,code}.npy
    BULK/npy/bits/part-00000/{id,label,row,bits}.npy

`row` is the item's row in the merged store (rows follow id byte order), computed by a Spark
sort, so the files are right whether or not the driver merges (--no-merge).

Paths the executors read (the binary, the model, the input) are used as given when they exist
there, else looked up among the files shipped with spark-submit --files/--archives. The store
and bulk folders must be on a filesystem the driver and every executor share. See docs/SCALE.md.
"""

import argparse
import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import time

# embed options whose values are paths the executors must find
PATH_OPTIONS = ("--images", "--labels", "--attributes", "--data")
# set by this job for each partition; refused after `--`
OWN_OPTIONS = ("--model", "--store", "--partition", "--rebuild", "--json", "--vectors")
CHUNK = 65536  # items per Parquet row group


class JobError(Exception):
    """A failure with a message for people; the driver prints it and exits 1."""


def parse(argv):
    if "--" in argv:
        cut = argv.index("--")
        own, embed_args = argv[:cut], argv[cut + 1 :]
    else:
        own, embed_args = argv, []
    p = argparse.ArgumentParser(
        prog="spark-submit scripts/spark/embed.py",
        description="Embed an input on Spark with `vicinity embed --partition i/n`, merge the parts, "
        "write Milvus bulk-insert files. Give the input after `--` as `vicinity embed` takes it.",
    )
    p.add_argument("--vicinity", default="vicinity", help="the binary as the executors see it (default: vicinity on PATH)")
    p.add_argument("--model", required=True, help="the model file (.safetensors)")
    p.add_argument("--store", required=True, help="the merged store; parts go to STORE.part-i")
    p.add_argument("--parts", type=int, help="partitions (default: the cluster's default parallelism)")
    p.add_argument("--bulk", help="write Milvus bulk-insert files (Parquet and .npy) under this folder")
    p.add_argument("--no-merge", action="store_true", help="leave the part stores unmerged")
    p.add_argument("--threads", type=int, default=0, help="VICINITY_THREADS per task (default: spark.task.cpus)")
    p.add_argument("--timeout", type=float, default=3600, help="seconds one partition's embed may take (default 3600)")
    p.add_argument("--summary", help="write the job's counts and timings as JSON to this file")
    args = p.parse_args(own)
    if not embed_args:
        p.error("give the input after `--`, as `vicinity embed` takes it (e.g. -- --data fashion-mnist)")
    for a in embed_args:
        if a.split("=", 1)[0] in OWN_OPTIONS:
            p.error(f"{a.split('=', 1)[0]} is set by this job; leave it out of the arguments after `--`")
    if args.parts is not None and args.parts < 1:
        p.error("--parts must be at least 1")
    args.embed_args = embed_args
    return args


# ---- executor side -------------------------------------------------------------------------

def shipped_root():
    try:
        from pyspark import SparkFiles

        return SparkFiles.getRootDirectory()
    except Exception:  # outside Spark (scripts/test-scale calls the task function so) nothing is shipped
        return None


def locate(value, what, allow_path_lookup=False, where="executor"):
    """The path `value` names here: as given, among shipped files, or on PATH."""
    tried = [os.path.abspath(value)]
    if os.path.exists(value):
        return os.path.abspath(value)
    root = shipped_root()
    if root:
        candidate = os.path.join(root, value if not os.path.isabs(value) else os.path.basename(value))
        tried.append(candidate)
        if os.path.exists(candidate):
            return candidate
    if allow_path_lookup and os.sep not in value:
        found = shutil.which(value)
        if found:
            return found
        tried.append(f"{value} on PATH")
    raise JobError(
        f"{what} {value} not found on {where} {socket.gethostname()} (tried {', '.join(tried)}); "
        "give a path every executor sees, or ship it with spark-submit --files/--archives (docs/SCALE.md)"
    )


def runnable_binary(value):
    path = locate(value, "the vicinity binary", allow_path_lookup=True)
    if not os.access(path, os.X_OK):
        raise JobError(f"the vicinity binary {path} on executor {socket.gethostname()} is not executable")
    try:
        r = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60)
    except OSError as e:
        raise JobError(f"the vicinity binary {path} cannot run on executor {socket.gethostname()}: {e}")
    if r.returncode != 0:
        hint = ""
        if "shared libraries" in r.stderr:
            hint = (" (install libopenblas0, liblmdb0, libturbojpeg0, libpng16-16 there, and the Swift runtime "
                    "or build with --static-swift-stdlib: docs/SCALE.md)")
        raise JobError(
            f"the vicinity binary {path} does not run on executor {socket.gethostname()}{hint}: {r.stderr.strip()}"
        )
    return path


def resolve_inputs(embed_args):
    """embed_args for this executor, and the folder to run the embed in (None: the task's own).

    A store's meta records the input's path as given, and every part's must be the same, so an
    input found among the shipped files keeps its name and the embed runs in their folder."""
    out, cwd, here = list(embed_args), None, []
    for i, a in enumerate(out):
        name, eq, value = a.partition("=")
        if name not in PATH_OPTIONS:
            continue
        if not eq:
            if i + 1 >= len(out):
                continue  # vicinity embed names the missing value itself
            value = out[i + 1]
        if value == "-" or (name == "--data" and value == "fashion-mnist" and not os.path.exists(value)):
            continue
        located = locate(value, name)
        if located == os.path.abspath(value):
            here.append((i, name, eq, value))
        else:
            cwd = shipped_root()
            shipped = os.path.relpath(located, cwd)  # the name given, or an absolute path's file name
            out[i] = f"{name}={shipped}" if eq else out[i]
            if not eq:
                out[i + 1] = shipped
    for i, name, eq, value in here if cwd else []:  # relative to the task's folder: made absolute
        if eq:
            out[i] = f"{name}={os.path.abspath(value)}"
        else:
            out[i + 1] = os.path.abspath(value)
    return out, cwd


def tail(text, lines=40):
    return "\n".join(text.strip().splitlines()[-lines:])


def run_checked(cmd, timeout, what, env=None, cwd=None):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)
    except subprocess.TimeoutExpired as e:  # its output comes as bytes whatever text= says
        stderr = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else e.stderr or ""
        raise JobError(f"{what} took longer than {timeout:g} s and was stopped\n--- its stderr ---\n{tail(stderr)}")
    if r.returncode != 0:
        raise JobError(
            f"{what} exited with status {r.returncode}: {' '.join(cmd)}\n--- its stderr ---\n{tail(r.stderr)}"
        )
    return r


def embed_partition(conf, index):
    """Task `index`: embed its windows, export what the bulk files need. One summary dict."""
    host = socket.gethostname()
    n = conf["parts"]
    what = f"partition {index}/{n} on {host}"
    try:
        binary = runnable_binary(conf["vicinity"])
        model = locate(conf["model"], "the model file")
        embed_args, cwd = resolve_inputs(conf["embed_args"])
        part = f"{conf['store']}.part-{index}"
        env = dict(os.environ, VICINITY_THREADS=str(conf["threads"]))
        started = time.time()
        cmd = [binary, "embed", "--model", model, *embed_args, "--partition", f"{index}/{n}", "--store", part, "--json"]
        r = run_checked(cmd, conf["timeout"], f"vicinity embed ({what})", env, cwd)
        summary = json.loads(r.stdout.strip().splitlines()[-1])
        if not summary.get("complete"):
            raise JobError(f"vicinity embed ({what}) stopped before the end of its windows: {r.stdout.strip()}")
        result = {"index": index, "ok": True, "host": host, "store": part, "count": summary["count"],
                  "input_items": summary.get("partition_input_items"), "bits": summary["bits"],
                  "embed_seconds": time.time() - started}
        if conf["bulk"]:
            staging = os.path.join(conf["bulk"], "staging", f"part-{index:05d}")
            os.makedirs(staging, exist_ok=True)
            exports = [("npy", "code.npy"), ("csv", "items.csv")] + ([("npy-bits", "bits.npy")] if summary["bits"] else [])
            for fmt, name in exports:
                run_checked([binary, "export", part, "--format", fmt, "--out", os.path.join(staging, name)],
                            conf["timeout"], f"vicinity export --format {fmt} ({what})")
        return result
    except JobError as e:
        return {"index": index, "ok": False, "host": host, "error": str(e)}
    except Exception as e:  # anything else still names its partition
        return {"index": index, "ok": False, "host": host, "error": f"{type(e).__name__}: {e}"}


def read_items(staging):
    """Ids and labels of a part in its row order (= id byte order), from `vicinity export --format csv`."""
    ids, labels = [], []
    with open(os.path.join(staging, "items.csv"), newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)  # header id,label,c0,...
        for line in reader:
            ids.append(line[0])
            labels.append(int(line[1]))
    return ids, labels


def part_ids(conf, index):
    """(id as UTF-8 bytes, partition) for every item of a part: the sort's input."""
    ids, _ = read_items(os.path.join(conf["bulk"], "staging", f"part-{index:05d}"))
    return [(i.encode("utf-8"), index) for i in ids]


def write_bulk(conf, index, global_rows):
    """A partition's Milvus bulk-insert files; global_rows: its items' merged-store rows, ascending."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    staging = os.path.join(conf["bulk"], "staging", f"part-{index:05d}")
    ids, labels = read_items(staging)
    codes = np.load(os.path.join(staging, "code.npy"))
    bits_path = os.path.join(staging, "bits.npy")
    bits = np.load(bits_path) if os.path.exists(bits_path) else None
    # Within a part rows follow id byte order, and so do the merged store's: the k-th item of the
    # part has the k-th smallest of its global rows.
    rows = np.array(sorted(global_rows), dtype=np.int64)
    if not (len(ids) == len(labels) == codes.shape[0] == len(rows)) or (bits is not None and bits.shape[0] != len(ids)):
        raise JobError(f"partition {index}: exports disagree ({len(ids)} ids, {codes.shape[0]} codes, {len(rows)} rows)")
    if not ids:  # more partitions than windows: nothing to import, so no files
        return {"index": index, "count": 0, "files": []}
    name = f"part-{index:05d}"
    columns = {"id": np.array(ids, dtype=str), "label": np.array(labels, dtype=np.int64), "row": rows}
    vectors = {"codes": ("code", codes.astype(np.float32, copy=False))}
    if bits is not None:
        vectors["bits"] = ("bits", bits.astype(np.uint8, copy=False))
    written = []
    for collection, (field, matrix) in vectors.items():
        path = os.path.join(conf["bulk"], "parquet", collection, f"{name}.parquet")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        writer = None
        # Row groups of CHUNK items: Milvus 2.3 reads vectors as list<…> (not large or fixed-size
        # lists), whose int32 offsets must not overflow.
        for start in range(0, len(ids), CHUNK):
            block = slice(start, start + CHUNK)
            m = matrix[block]
            offsets = pa.array(np.arange(0, m.size + 1, m.shape[1], dtype=np.int32))
            table = pa.table({"id": pa.array(ids[block], pa.string()), "label": columns["label"][block],
                              "row": rows[block], field: pa.ListArray.from_arrays(offsets, pa.array(m.reshape(-1)))})
            writer = writer or pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
        writer.close()
        folder = os.path.join(conf["bulk"], "npy", collection, name)
        os.makedirs(folder, exist_ok=True)
        for key, array in [*columns.items(), (field, matrix)]:
            np.save(os.path.join(folder, f"{key}.npy"), array)
        written.append(path)
    return {"index": index, "count": len(ids), "files": written}


def bulk_files(sc, conf, n):
    """Every partition's bulk files, their rows from one sort of all ids (merged-store rows)."""
    return (sc.parallelize(range(n), n)
            .flatMap(lambda i: part_ids(conf, i))
            .sortByKey(numPartitions=n)
            .zipWithIndex()
            .map(lambda kv: (kv[0][1], kv[1]))
            .partitionBy(n, lambda p: p)
            .mapPartitionsWithIndex(lambda i, it: [write_bulk(conf, i, [g for _, g in it])])
            .collect())


# ---- driver side ---------------------------------------------------------------------------

def fail(message):
    print(f"scripts/spark/embed.py: {message}", file=sys.stderr)
    sys.exit(1)


def main(argv):
    started = time.time()
    args = parse(argv)
    store = os.path.abspath(args.store)
    if os.path.exists(os.path.join(store, "data.mdb")):
        fail(f"--store {args.store} already holds a store; choose a new folder or remove it")
    bulk = os.path.abspath(args.bulk) if args.bulk else None
    if bulk:
        try:
            import numpy  # noqa: F401  -- the executors need them too (docs/SCALE.md)
            import pyarrow  # noqa: F401
        except ImportError as e:
            fail(f"--bulk needs numpy and pyarrow in the job's Python: {e}")
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.appName("vicinity-embed").getOrCreate()
    sc = spark.sparkContext
    timings = {"spark_start_seconds": time.time() - started}
    sc.setLogLevel("WARN")
    n = args.parts or sc.defaultParallelism
    threads = args.threads or int(sc.getConf().get("spark.task.cpus", "1"))
    conf = {"vicinity": args.vicinity, "model": args.model, "store": store, "parts": n, "bulk": bulk,
            "threads": threads, "timeout": args.timeout, "embed_args": args.embed_args}
    try:
        t0 = time.time()
        results = (sc.parallelize(range(n), n)
                   .mapPartitionsWithIndex(lambda i, _: [embed_partition(conf, i)])
                   .collect())
        timings["embed_seconds"] = time.time() - t0
        failed = sorted((r for r in results if not r["ok"]), key=lambda r: r["index"])
        if failed:
            for r in failed:
                print(f"scripts/spark/embed.py: partition {r['index']}/{n} failed on {r['host']}: {r['error']}",
                      file=sys.stderr)
            fail(f"{len(failed)} of {n} partitions failed; their stores are left to resume: run the same job again")
        count = sum(r["count"] for r in results)
        expected = results[0]["input_items"]
        if expected is not None and count != expected:
            fail(f"the parts hold {count} items but the input has {expected}")
        for r in sorted(results, key=lambda r: r["index"]):
            print(f"partition {r['index']}/{n}: {r['count']} items on {r['host']} in {r['embed_seconds']:.2f} s -> {r['store']}")

        if bulk:
            t0 = time.time()
            try:
                bulk_results = bulk_files(sc, conf, n)
            except Exception as e:  # a task's error arrives wrapped in Java's; keep the Python lines
                fail("writing the bulk-insert files failed: " + tail(str(e).split("Traceback")[-1], 12))
            shutil.rmtree(os.path.join(bulk, "staging"), ignore_errors=True)
            timings["bulk_seconds"] = time.time() - t0
            written = sum(r["count"] for r in bulk_results)
            if written != count:
                fail(f"the bulk files hold {written} items but the parts {count}")
            print(f"bulk-insert files for {written} items in {n} partitions under {bulk} "
                  f"(parquet/codes, parquet/bits, npy/codes, npy/bits) in {timings['bulk_seconds']:.2f} s")

        if not args.no_merge:
            # On the driver, while the files shipped with the job are still there.
            t0 = time.time()
            try:
                binary = locate(args.vicinity, "the vicinity binary", allow_path_lookup=True, where="the driver")
            except JobError as e:
                fail(f"{e}; merge by hand: vicinity merge --out {store} {store}.part-*")
            parts = [f"{store}.part-{i}" for i in range(n)]
            try:
                r = run_checked([binary, "merge", "--out", store, *parts, "--json"], args.timeout, "vicinity merge")
            except JobError as e:
                fail(str(e))
            merged = json.loads(r.stdout)
            timings["merge_seconds"] = time.time() - t0
            print(f"merged {n} parts into {store}: {merged['count']} items in {timings['merge_seconds']:.2f} s")
    finally:
        spark.stop()
    timings["driver_seconds"] = time.time() - started  # all of this script, the JVM's start before it aside
    if args.summary:
        with open(args.summary, "w") as f:
            json.dump({"parts": n, "items": count, "store": store, "bulk": bulk, **timings}, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1:])
