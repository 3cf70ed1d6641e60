#!/usr/bin/env python3
"""LDA (scikit-learn) beside LSA on a document set, scored as `vicinity eval` scores documents.

The third column of the seed's document figure. Reads DIR/train.counts and DIR/test.counts
(docs/DOCUMENTS.md), fits LDA with N topics on the training split (online variational Bayes,
seeded) and LSA of the same size (truncated SVD of log(1 + count), uncentred, as Vicinity's
`lsa:N`), and prints precision at recall 0.1, 0.4, 1.6, 6.4, 25, 100 % and mAP: the first Q test
documents each rank every training document by the cosine of their codes (ties by row).
The LSA row reproduces `vicinity eval --model lsa:N`'s table, which checks that the two scorers
agree. Usage: documents_lda.py DIR [--topics 10] [--queries 2000] [--json]
"""
import argparse, json, sys, time

import numpy as np
from sklearn.decomposition import LatentDirichletAllocation

RECALL = [0.001, 0.004, 0.016, 0.064, 0.25, 1.0]


def read_counts(path, vocabulary):
    labels, rows = [], []
    with open(path) as f:
        for line in f:
            parts = line.split()
            labels.append(int(parts[1]))
            row = np.zeros(vocabulary, dtype=np.float32)
            for pair in parts[2:]:
                i, c = pair.split(":")
                row[int(i)] = float(c)
            rows.append(row)
    return np.stack(rows), np.array(labels)


def retrieval(base, base_labels, queries, query_labels):
    """Mean precision at each recall point (percent) and mAP (percent)."""
    def unit(x):
        n = np.linalg.norm(x, axis=1, keepdims=True)
        return np.divide(x, n, out=np.zeros_like(x), where=n > 0)
    base, queries = unit(base.astype(np.float32)), unit(queries.astype(np.float32))
    precision, aps = [], []
    for start in range(0, len(queries), 256):
        sims = queries[start:start + 256] @ base.T
        for s, label in zip(sims, query_labels[start:start + 256]):
            relevant = base_labels == label
            total = int(relevant.sum())
            if total == 0:
                continue
            order = np.lexsort((np.arange(len(s)), -s))  # by similarity, then row
            hits = np.flatnonzero(relevant[order]) + 1  # ranks of the relevant documents
            found = np.arange(1, total + 1)
            needed = [max(1, int(np.ceil(r * total - 1e-12))) for r in RECALL]
            precision.append([n / hits[n - 1] for n in needed])
            aps.append(float(np.mean(found / hits)))
    return 100 * np.mean(precision, axis=0), 100 * float(np.mean(aps))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--topics", type=int, default=10)
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    vocabulary = sum(1 for _ in open(f"{a.dir}/vocabulary.txt"))
    train, train_labels = read_counts(f"{a.dir}/train.counts", vocabulary)
    test, test_labels = read_counts(f"{a.dir}/test.counts", vocabulary)
    test, test_labels = test[:a.queries], test_labels[:a.queries]

    rows = {}
    started = time.time()
    lda = LatentDirichletAllocation(n_components=a.topics, learning_method="online", random_state=1,
                                    batch_size=512, max_iter=10, n_jobs=1)
    lda_train = lda.fit_transform(train)
    rows[f"lda:{a.topics}"] = retrieval(lda_train, train_labels, lda.transform(test), test_labels)
    lda_seconds = time.time() - started

    logs = np.log1p(train).astype(np.float64)
    _, _, vt = np.linalg.svd(logs.T @ logs / len(logs), hermitian=True)
    v = vt[:a.topics].T
    rows[f"lsa:{a.topics}"] = retrieval(logs @ v, train_labels, np.log1p(test) @ v, test_labels)

    if a.json:
        print(json.dumps({name: {"precision_at_recall": dict(zip(["0.1", "0.4", "1.6", "6.4", "25", "100"],
                                                                  map(float, p))), "map_percent": m}
                          for name, (p, m) in rows.items()} | {"lda_seconds": lda_seconds}))
        return
    print(f"{len(test)} test documents ranking {len(train)} by cosine; precision % at recall "
          f"(LDA fitted in {lda_seconds:.0f} s)")
    print("embedding     0.1 %   0.4 %   1.6 %   6.4 %    25 %   100 %     mAP")
    for name, (p, m) in rows.items():
        print(f"{name:<10}" + "".join(f"{x:8.2f}" for x in p) + f"{m:8.2f}")


if __name__ == "__main__":
    sys.exit(main())
