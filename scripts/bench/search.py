"""Side-by-side benchmark of Vicinity's exact indexes and faiss (see scripts/bench/search)."""
import argparse, gzip, json, os, subprocess, sys, tempfile, time
import numpy as np
import faiss

D = os.environ.get("VICINITY_FASHION_MNIST", "/usr/share/datasets/fashion-mnist") + "/"

def idx(name):
    with gzip.open(D + name) as f:
        b = f.read()
    nd = b[3]
    dims = [int.from_bytes(b[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(b, np.uint8, offset=4 + 4 * nd).reshape(dims)

def write_fvecs(path, a):
    a = np.ascontiguousarray(a, dtype=np.float32)
    out = np.empty((a.shape[0], a.shape[1] + 1), np.float32)
    out[:, 0] = np.array([a.shape[1]], np.int32).view(np.float32)[0]
    out[:, 1:] = a
    out.tofile(path)

def write_bvecs(path, a):
    out = np.empty((a.shape[0], a.shape[1] + 4), np.uint8)
    out[:, :4] = np.array([a.shape[1]], np.int32).view(np.uint8)
    out[:, 4:] = a
    out.tofile(path)

def read_ivecs(path):
    a = np.fromfile(path, np.int32)
    d = a[0]
    return a.reshape(-1, d + 1)[:, 1:]

# Each side runs every measurement twice and keeps its faster run: on a shared
# 2-core machine one run of either can stall (faiss's OpenMP threads especially).
REPEATS = 2

def vicinity(args, *cmd):
    best = None
    for _ in range(REPEATS):
        r = subprocess.run([args.vicinity, "bench", *cmd], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"vicinity bench {' '.join(cmd)} failed: {r.stderr}")
        run = json.loads(r.stdout)
        if best is None or run["queries_per_second"] > best["queries_per_second"]:
            best = run
    return best

def faiss_search(search, count):
    """Runs `search()` REPEATS times; returns (queries per second of the faster run, its result)."""
    best, result = 0, None
    for _ in range(REPEATS):
        start = time.time()
        result = search()
        best = max(best, count / (time.time() - start))
    return best, result

def agreement_float(base, queries, ours, theirs):
    """Fraction of queries whose id lists match exactly, and whether every difference is a tie."""
    same = (ours == theirs).all(1)
    ties_only = True
    for q in np.flatnonzero(~same)[:200]:
        d = lambda ids: np.sort(((base[ids].astype(np.float64) - queries[q]) ** 2).sum(1))
        if not np.allclose(d(ours[q]), d(theirs[q]), rtol=1e-5, atol=1e-5):
            ties_only = False
    return same.mean(), ties_only

def agreement_hamming(base_bits, query_bits, ours, theirs):
    same = (ours == theirs).all(1)
    ties_only = True
    for q in np.flatnonzero(~same)[:200]:
        d = lambda ids: np.sort(np.unpackbits(base_bits[ids] ^ query_bits[q], axis=1).sum(1))
        if not (d(ours[q]) == d(theirs[q])).all():
            ties_only = False
    return same.mean(), ties_only

def row(label, ours, theirs, agree, ties):
    print(f"{label:44s} vicinity {ours:10.0f} q/s   faiss {theirs:10.0f} q/s   ratio {ours / theirs:5.2f}   "
          f"ids identical {agree * 100:6.2f} %{'' if agree == 1 else (' (rest are ties)' if ties else ' (REAL DIFFERENCES)')}")

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--vicinity", required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--quick", action="store_true", help="smaller sets (a smoke run)")
    args = p.parse_args()
    faiss.omp_set_num_threads(args.threads)
    t = str(args.threads)
    work = tempfile.mkdtemp(prefix="vicinity-bench-")
    f = lambda n: os.path.join(work, n)

    xtr = idx("train-images-idx3-ubyte.gz").reshape(60000, -1).astype(np.float32) / 255
    xte = idx("t10k-images-idx3-ubyte.gz").reshape(10000, -1).astype(np.float32) / 255
    nq = 1000 if args.quick else 10000
    pca = faiss.PCAMatrix(784, 30); pca.train(xtr)
    sets = {"784": (xtr, xte[:nq]), "30": (pca.apply(xtr), pca.apply(xte[:nq]))}
    print(f"FlatIndex vs faiss IndexFlatL2, {nq} queries x 60k, k=10, {args.threads} threads")
    for d, (b, q) in sets.items():
        write_fvecs(f(f"b{d}.fvecs"), b); write_fvecs(f(f"q{d}.fvecs"), q)
        ours = vicinity(args, "knn", "--base", f(f"b{d}.fvecs"), "--queries", f(f"q{d}.fvecs"), "--k", "10",
                        "--threads", t, "--out", f("r.ivecs"))
        index = faiss.IndexFlatL2(b.shape[1]); index.add(b)
        theirs, (_, ids) = faiss_search(lambda: index.search(q, 10), len(q))
        agree, ties = agreement_float(b, q, read_ivecs(f("r.ivecs")), ids)
        row(f"  batched, d={d}", ours["queries_per_second"], theirs, agree, ties)
        if ours.get("bound_axes"):
            # The same batch with every pair through sgemm, as faiss does it: what the bound buys.
            plain = vicinity(args, "knn", "--base", f(f"b{d}.fvecs"), "--queries", f(f"q{d}.fvecs"), "--k", "10",
                             "--threads", t, "--no-bound", "--out", f("r.ivecs"))
            agree, ties = agreement_float(b, q, read_ivecs(f("r.ivecs")), ids)
            row(f"  batched, d={d}, no bound (--no-bound)", plain["queries_per_second"], theirs, agree, ties)
            print(f"  {'':44s} bound: {ours['bound_axes']} principal axes, memory {ours['memory_bytes'] / ours['raw_bytes']:.3f}x raw, "
                  f"build {ours['build_seconds']:.2f} s")
        ns = 200 if d == "784" else 1000
        write_fvecs(f("qs.fvecs"), q[:ns])
        ours = vicinity(args, "knn", "--base", f(f"b{d}.fvecs"), "--queries", f("qs.fvecs"), "--k", "10", "--single",
                        "--threads", t, "--out", f("r.ivecs"))
        theirs, ids = faiss_search(lambda: np.vstack([index.search(q[i:i + 1], 10)[1] for i in range(ns)]), ns)
        agree, ties = agreement_float(b, q[:ns], read_ivecs(f("r.ivecs")), ids)
        row(f"  one query at a time, d={d} ({ns} queries)", ours["queries_per_second"], theirs, agree, ties)

    rng = np.random.default_rng(1)
    n = 100_000 if args.quick else 1_000_000
    print(f"HammingIndex vs faiss IndexBinaryFlat, {n} codes, {nq} queries, k=10")
    for bits in (64, 256):
        b = rng.integers(0, 256, (n, bits // 8), dtype=np.uint8)
        q = rng.integers(0, 256, (nq, bits // 8), dtype=np.uint8)
        write_bvecs(f("hb.bvecs"), b); write_bvecs(f("hq.bvecs"), q)
        ours = vicinity(args, "hamming", "--base", f("hb.bvecs"), "--queries", f("hq.bvecs"), "--k", "10",
                        "--threads", t, "--out", f("r.ivecs"))
        index = faiss.IndexBinaryFlat(bits); index.add(b)
        theirs, (_, ids) = faiss_search(lambda: index.search(q, 10), nq)
        agree, ties = agreement_hamming(b, q, read_ivecs(f("r.ivecs")), ids)
        row(f"  {bits} bits", ours["queries_per_second"], theirs, agree, ties)

    # Multi-index hashing on codes from real-valued data: random-hyperplane LSH of
    # perturbed Fashion-MNIST images (PCA-50 plus Gaussian noise), not uniform bits.
    n = 1_000_000 if args.quick else 10_000_000
    p50 = faiss.PCAMatrix(784, 50); p50.train(xtr)
    z = p50.apply(xtr)
    planes = rng.standard_normal((50, 64)).astype(np.float32)
    codes = np.empty((n, 8), np.uint8)
    for s in range(0, n, 1_000_000):
        m = min(1_000_000, n - s)
        pts = z[rng.integers(0, 60000, m)] + 0.3 * rng.standard_normal((m, 50)).astype(np.float32)
        codes[s:s + m] = np.packbits(pts @ planes > 0, axis=1, bitorder="little")
    queries = np.packbits(p50.apply(xte[:1000]) @ planes > 0, axis=1, bitorder="little")
    write_bvecs(f("mb.bvecs"), codes); write_bvecs(f("mq.bvecs"), queries)
    scan = vicinity(args, "hamming", "--base", f("mb.bvecs"), "--queries", f("mq.bvecs"), "--k", "10", "--threads", t,
                    "--out", f("scan.ivecs"))
    mih = vicinity(args, "hamming", "--base", f("mb.bvecs"), "--queries", f("mq.bvecs"), "--k", "10", "--threads", t,
                   "--mih", "--out", f("mih.ivecs"))
    same = (read_ivecs(f("scan.ivecs")) == read_ivecs(f("mih.ivecs"))).all()
    print(f"MultiIndexHash vs linear scan, {n} LSH codes of perturbed images, 1000 queries, k=10")
    print(f"  scan {scan['queries_per_second']:.0f} q/s   MIH {mih['queries_per_second']:.0f} q/s   "
          f"speed-up {mih['queries_per_second'] / scan['queries_per_second']:.1f}x   m={mih.get('substrings')}   "
          f"tables {mih.get('table_bytes', 0) / 2**20:.0f} MiB (codes {mih['raw_bytes'] / 2**20:.0f} MiB)   "
          f"build {mih['build_seconds']:.1f} s   identical ids: {same}")

if __name__ == "__main__":
    main()
