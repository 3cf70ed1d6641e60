import VicinityMath

/// k-means: the clusters a ClusteredFlatIndex scans by.
extension ClusteredFlatIndex {
    /// Lloyd's k-means on a seeded sample from seeded distinct rows, then every
    /// row to its nearest centre and exact radii.
    mutating func recluster(_ all: Matrix) {
        let n = all.rows
        clusteredCount = n
        let wanted = ClusteredFlatIndex.clusters(for: n)
        var rng = SeededRNG(seed: 1)
        let order = rng.permutation(n)
        let sampled = min(n, wanted * ClusteredFlatIndex.sampleRowsPerCluster)
        let sample =
            sampled == n
            ? all : Matrix(rows: sampled, cols: dims, storage: order.prefix(sampled).flatMap { all.row($0) })
        centres = Matrix(rows: wanted, cols: dims, storage: order.prefix(wanted).flatMap { all.row($0) })
        for _ in 0..<ClusteredFlatIndex.kMeansRounds {
            centres = means(of: sample, nearestCentres(of: sample), keepingEmpty: centres)
        }
        place(all, assignment: nearestCentres(of: all))
    }

    /// Puts every row in its given cluster (centres set): members by ring band (see `Cluster.fill`),
    /// each cluster's vectors stored in that order, exact inner and outer radii. Only the grouping
    /// (a counting sort) runs on one core: each cluster measures its own rings.
    mutating func place(_ all: Matrix, assignment: [Int]) {
        let wanted = centres.rows
        clusteredCount = all.rows
        clusters = []
        clusterOf = assignment.map(UInt16.init)
        var starts = [Int](repeating: 0, count: wanted + 1)
        for j in assignment { starts[j + 1] += 1 }
        for j in 0..<wanted { starts[j + 1] += starts[j] }
        var grouped = [Int32](repeating: 0, count: all.rows)
        var next = starts
        for (i, j) in assignment.enumerated() {
            grouped[next[j]] = Int32(i)
            next[j] += 1
        }
        let (byCluster, bounds, vectors, d, means) = (grouped, starts, all, dims, centres)
        clusters = parallelMap(wanted) { j in
            var cluster = Cluster()
            vectors.storage.withUnsafeBufferPointer { x in
                means.storage.withUnsafeBufferPointer { c in
                    cluster.fill(
                        byCluster[bounds[j]..<bounds[j + 1]].map { (row: $0, source: Int($0)) }, from: x.baseAddress!,
                        dims: d, centre: c.baseAddress! + j * d)
                }
            }
            return cluster
        }
    }

    /// Each row's nearest centre by ‖c‖² − 2·xᵀc through sgemm, a block of rows at a
    /// time. Rounding may pick a near-tie's other centre; the radii are measured
    /// afterwards, so the bounds hold whatever the assignment.
    func nearestCentres(of all: Matrix) -> [Int] {
        let centreCount = centres.rows, block = 1024
        let centreNorms = centres.rowSquaredNorms()
        let count = all.rows
        var assignment = [Int](repeating: 0, count: count)
        let blocks = (count + block - 1) / block
        all.storage.withUnsafeBufferPointer { x in
            centres.storage.withUnsafeBufferPointer { c in
                assignment.withUnsafeMutableBufferPointer { out in
                    let shared = UnsafeSendable((x.baseAddress!, c.baseAddress!, out.baseAddress!))
                    // Blocks over the cores, each through its own one-thread sgemm and argmin.
                    parallelFor(blocks) { b in
                        let (x, c, out) = shared.value
                        let r0 = b * block, rows = min(block, count - r0)
                        var scores = [Float](repeating: 0, count: rows * centreCount)
                        scores.withUnsafeMutableBufferPointer { s in
                            BLAS.gemm(
                                .none, .transposed, m: rows, n: centreCount, k: dims, alpha: 1, a: x + r0 * dims,
                                lda: dims, b: c, ldb: dims, beta: 0, c: s.baseAddress!, ldc: centreCount, parts: 1)
                            for r in 0..<rows {
                                var best = (score: Float.infinity, cluster: 0)
                                for j in 0..<centreCount {
                                    let score = centreNorms[j] - 2 * s[r * centreCount + j]
                                    if score < best.score { best = (score, j) }
                                }
                                out[r0 + r] = best.cluster
                            }
                        }
                    }
                }
            }
        }
        return assignment
    }

    /// Each cluster's mean; a cluster left empty keeps its old centre.
    func means(of all: Matrix, _ assignment: [Int], keepingEmpty old: Matrix) -> Matrix {
        var sums = [Double](repeating: 0, count: old.rows * dims)
        var sizes = [Int](repeating: 0, count: old.rows)
        all.storage.withUnsafeBufferPointer { x in
            for (i, j) in assignment.enumerated() {
                sizes[j] += 1
                for t in 0..<dims { sums[j * dims + t] += Double(x[i * dims + t]) }
            }
        }
        var next = old.storage
        for j in 0..<old.rows where sizes[j] > 0 {
            for t in 0..<dims { next[j * dims + t] = Float(sums[j * dims + t] / Double(sizes[j])) }
        }
        return Matrix(rows: old.rows, cols: dims, storage: next)
    }

    func squaredDistance(_ v: [Float], centreRow j: Int) -> Float {
        v.withUnsafeBufferPointer { a in
            centres.storage.withUnsafeBufferPointer { c in
                Kernels.squaredL2(a.baseAddress!, c.baseAddress! + j * dims, dims)
            }
        }
    }
}
