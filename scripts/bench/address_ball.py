"""Helpers of scripts/bench/address-ball (numpy only).

replicate DOCS OUT N SEED: a document set of N documents in OUT (docs/DOCUMENTS.md layout):
    the corpus's train and test documents, then copies of them in which every word occurrence
    is kept with probability 0.8 (binomial thinning), so copies are near, not equal, to their
    originals. Ids r<copy>-<package>.
slices BITS.bvecs OUT SIZES QUERIES: the first SIZE codes of BITS as OUT/base-SIZE.bvecs, and
    QUERIES query codes spread evenly through the first min(SIZES) codes as OUT/queries.bvecs.
"""
import os
import shutil
import sys

import numpy as np


def read_counts(path):
    docs = []
    for line in open(path, encoding="utf-8"):
        parts = line.split()
        if not parts:
            continue
        pairs = [p.split(":") for p in parts[2:]]
        idx = np.array([int(i) for i, _ in pairs], dtype=np.int32)
        cnt = np.array([int(c) for _, c in pairs], dtype=np.int64)
        docs.append((parts[0], parts[1], idx, cnt))
    return docs


def replicate(docs_dir, out, n, seed):
    os.makedirs(out, exist_ok=True)
    for name in ("vocabulary.txt", "stopwords.txt", "meta.json"):
        shutil.copy(os.path.join(docs_dir, name), out)
    corpus = read_counts(os.path.join(docs_dir, "train.counts")) + read_counts(os.path.join(docs_dir, "test.counts"))
    rng = np.random.default_rng(seed)
    with open(os.path.join(out, "train.counts"), "w", encoding="utf-8") as f:
        for i in range(n):
            copy, (pid, label, idx, cnt) = divmod(i, len(corpus))[0], corpus[i % len(corpus)]
            if copy > 0:
                cnt = rng.binomial(cnt, 0.8)
                keep = cnt > 0
                idx, cnt = idx[keep], cnt[keep]
            f.write(" ".join([f"r{copy}-{pid}", label] + [f"{a}:{b}" for a, b in zip(idx, cnt)]) + "\n")
    # The loader wants a test split; one document is enough.
    shutil.copy(os.path.join(docs_dir, "test.counts"), os.path.join(out, "test.counts"))


def read_bvecs(path):
    raw = np.fromfile(path, dtype=np.uint8)
    d = int(raw[:4].view(np.int32)[0])
    return raw.reshape(-1, 4 + d)[:, 4:], d


def write_bvecs(path, codes):
    d = codes.shape[1]
    head = np.full((codes.shape[0], 4), 0, dtype=np.uint8)
    head[:] = np.frombuffer(np.int32(d).tobytes(), dtype=np.uint8)
    np.concatenate([head, codes], axis=1).tofile(path)


def slices(bits, out, sizes, queries):
    codes, _ = read_bvecs(bits)
    sizes = [int(s) for s in sizes.split(",")]
    for s in sizes:
        write_bvecs(os.path.join(out, f"base-{s}.bvecs"), codes[:s])
    step = max(1, min(sizes) // int(queries))
    write_bvecs(os.path.join(out, "queries.bvecs"), codes[: min(sizes) : step][: int(queries)])


if __name__ == "__main__":
    if sys.argv[1] == "replicate":
        replicate(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    else:
        slices(*sys.argv[2:6])
