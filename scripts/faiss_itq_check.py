#!/usr/bin/env python3
"""Why faiss's ITQ figure (BASELINES.md) sits below ours: its rotation update is not
the Procrustes step, so its quantisation loss rises again and its mAP moves with the
seed and with the arbitrary signs of the principal directions. Runs the reference script's data, PCA and mAP code.

    python3 scripts/faiss_itq_check.py [BITS]     (needs numpy and faiss-cpu; a few minutes)
"""
import sys
import faiss
import numpy as np

REFERENCE = "/work/shared/reference/fmnist_baselines.py"
source = open(REFERENCE).read()
# The reference's data loading, then its hamming_eval, without its kNN and hashing runs.
exec(source.split("r, dt = knn_err")[0])
exec("def hamming_eval" + source.split("def hamming_eval")[1].split("for nbits in")[0])

bits = int(sys.argv[1]) if len(sys.argv) > 1 else 64
mean = Xtr.mean(0)


def project(threads):
    """The reference's PCA projections, trained with `threads` OpenMP threads."""
    faiss.omp_set_num_threads(threads)
    pca = faiss.PCAMatrix(784, bits)
    pca.train(Xtr - mean)
    return pca.apply(Xtr - mean), pca.apply(Xte - mean)


default_threads = faiss.omp_get_max_threads()
Ztr, Zte = project(default_threads)


def loss(z):
    """ITQ's quantisation loss ||sign(z) - z||^2."""
    return float(((np.where(z < 0, -1, 1) - z) ** 2).sum())


def faiss_itq(z, iterations=50, seed=123):
    itq = faiss.ITQMatrix(bits)
    itq.max_iter, itq.seed = iterations, seed
    itq.train(z)
    return itq


print("faiss loss after k iterations:", [(k, round(loss(faiss_itq(Ztr, k).apply(Ztr)))) for k in (1, 2, 5, 10, 20, 50)])

# The Procrustes step from faiss's own start: with V'B = U S W', R = U W'.
rotation = faiss.RandomRotationMatrix(bits, bits)
rotation.init(123)
r = faiss.vector_to_array(rotation.A).reshape(bits, bits).astype(np.float64)
v = Ztr.astype(np.float64)
for _ in range(50):
    u, _, wt = np.linalg.svd(v.T @ np.where(v @ r < 0, -1.0, 1.0))
    r = u @ wt
print("Procrustes loss after 50 iterations:", round(loss(v @ r)))
hamming_eval("ITQ, Procrustes", np.packbits(Ztr @ r > 0, axis=1), np.packbits(Zte @ r > 0, axis=1), bits)

q, _ = np.linalg.qr(np.random.default_rng(1).standard_normal((bits, bits)))
hamming_eval("random rotation, no ITQ", np.packbits(Ztr @ q > 0, axis=1), np.packbits(Zte @ q > 0, axis=1), bits)

# The same ITQMatrix on projections that differ only in the signs of some principal directions (PCA on one thread).
for threads in (default_threads, 1):
    ztr, zte = project(threads)
    print(f"PCA with {threads} thread(s): largest change of a projection {np.abs(ztr - Ztr).max():.2e},"
          f" of its magnitude {np.abs(np.abs(ztr) - np.abs(Ztr)).max():.2e}")
    for seed in (123, 1, 2):
        itq = faiss_itq(ztr, seed=seed)
        hamming_eval(f"faiss ITQMatrix, PCA on {threads} thread(s), seed {seed},",
                     np.packbits(itq.apply(ztr) > 0, axis=1), np.packbits(itq.apply(zte) > 0, axis=1), bits)
