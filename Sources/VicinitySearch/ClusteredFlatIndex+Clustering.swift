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
        let assignment = nearestCentres(of: all)
        clusters = [Cluster](repeating: Cluster(), count: wanted)
        clusterOf = assignment.map(UInt16.init)
        // Exact capacities: arrays grown by appending alone would hold up to twice their members.
        var sizes = [Int](repeating: 0, count: wanted)
        for j in assignment { sizes[j] += 1 }
        for j in 0..<wanted {
            clusters[j].rows.reserveCapacity(sizes[j])
            clusters[j].vectors.reserveCapacity(sizes[j] * dims)
            clusters[j].rings.reserveCapacity(sizes[j])
        }
        // Members in ring order (ties by row), each cluster's vectors stored in that order.
        var members = [[(ring: Float, row: Int)]](repeating: [], count: wanted)
        for (i, j) in assignment.enumerated() {
            members[j].append((squaredDistance(all.row(i), centreRow: j).squareRoot(), i))
        }
        for j in 0..<wanted {
            for (ring, row) in members[j].sorted(by: { ($0.ring, $0.row) < ($1.ring, $1.row) }) {
                clusters[j].rows.append(Int32(row))
                clusters[j].rings.append(ring)
                clusters[j].vectors += all.row(row)
                clusters[j].radius = max(clusters[j].radius, ring)
            }
        }
    }

    /// Each row's nearest centre by ‖c‖² − 2·xᵀc through sgemm, a block of rows at a
    /// time. Rounding may pick a near-tie's other centre; the radii are measured
    /// afterwards, so the bounds hold whatever the assignment.
    func nearestCentres(of all: Matrix) -> [Int] {
        let centreCount = centres.rows, block = 4096
        let centreNorms = centres.rowSquaredNorms()
        let count = all.rows
        var assignment = [Int](repeating: 0, count: count)
        var scores = [Float](repeating: 0, count: block * centreCount)
        all.storage.withUnsafeBufferPointer { x in
            centres.storage.withUnsafeBufferPointer { c in
                scores.withUnsafeMutableBufferPointer { s in
                    for r0 in stride(from: 0, to: count, by: block) {
                        let rows = min(block, count - r0)
                        BLAS.gemm(
                            .none, .transposed, m: rows, n: centreCount, k: dims, a: x.baseAddress! + r0 * dims,
                            lda: dims,
                            b: c.baseAddress!, ldb: dims, c: s.baseAddress!, ldc: centreCount)
                        for r in 0..<rows {
                            var best = (score: Float.infinity, cluster: 0)
                            for j in 0..<centreCount {
                                let score = centreNorms[j] - 2 * s[r * centreCount + j]
                                if score < best.score { best = (score, j) }
                            }
                            assignment[r0 + r] = best.cluster
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
