import VicinityMath

/// The clustering saved beside the vectors, so a 10M-row index starts in seconds instead of
/// running k-means again: "VKNN", version 1, then rows, dims and clusters (UInt32), the
/// centres (Float32) and each row's cluster (UInt16), all little-endian. The rings, radii and
/// member order follow from those and the vectors, so they are recomputed, not stored.
extension ClusteredFlatIndex {
    static let savedMagic: [UInt8] = Array("VKNN".utf8) + [1]

    public var savedBytes: [UInt8] {
        Self.encodeSaved(count: count, dims: dims, centres: centres, clusterOf: clusterOf)
    }

    static func encodeSaved(count: Int, dims: Int, centres: Matrix, clusterOf: [UInt16]) -> [UInt8] {
        var out = Self.savedMagic
        out.reserveCapacity(out.count + 12 + 4 * centres.count + 2 * count)
        for v in [count, dims, centres.rows] { withUnsafeBytes(of: UInt32(v).littleEndian) { out += $0 } }
        for f in centres.storage { withUnsafeBytes(of: f.bitPattern.littleEndian) { out += $0 } }
        for c in clusterOf { withUnsafeBytes(of: c.littleEndian) { out += $0 } }
        return out
    }

    /// What `savedBytes` holds for an index of `n` rows, made without holding them all: Lloyd's
    /// k-means on `recluster`'s seeded sample (read through `rows`), then every row's nearest
    /// centre as `scan` hands over chunks of (row numbers, codes). For stores of any size.
    public static func savedClustering(
        count n: Int, dims: Int, rows: ([Int]) throws -> Matrix,
        scan: (_ each: (_ rows: [Int], _ codes: Matrix) -> Void) throws -> Void
    ) throws -> [UInt8] {
        var index = ClusteredFlatIndex(Matrix(rows: 0, cols: dims))
        let wanted = clusters(for: n)
        var rng = SeededRNG(seed: 1)
        let order = rng.permutation(n)
        let sample = try rows(Array(order.prefix(min(n, wanted * sampleRowsPerCluster))))
        index.centres = try rows(Array(order.prefix(wanted)))
        for _ in 0..<kMeansRounds {
            index.centres = index.means(of: sample, index.nearestCentres(of: sample), keepingEmpty: index.centres)
        }
        var assignment = [UInt16](repeating: 0, count: n)
        try scan { rows, codes in
            for (r, c) in zip(rows, index.nearestCentres(of: codes)) { assignment[r] = UInt16(c) }
        }
        return encodeSaved(count: n, dims: dims, centres: index.centres, clusterOf: assignment)
    }

    /// The index of `vectors` with a saved clustering; nil when the bytes do not describe these
    /// rows (another row count or size, a damaged or older form): then build it afresh.
    public init?(_ vectors: Matrix, saved bytes: [UInt8]) {
        let head = Self.savedMagic.count
        guard bytes.count >= head + 12, Array(bytes[0..<head]) == Self.savedMagic else { return nil }
        func word(_ i: Int) -> Int {
            bytes.withUnsafeBytes {
                Int(UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: head + 4 * i, as: UInt32.self)))
            }
        }
        let (rows, d, k) = (word(0), word(1), word(2))
        guard rows == vectors.rows, d == vectors.cols, k <= 1 << 16, (rows == 0) == (k == 0),
            bytes.count == head + 12 + 4 * k * d + 2 * rows
        else { return nil }
        let (centreStart, clusterStart) = (head + 12, head + 12 + 4 * k * d)
        var assignment = [Int](repeating: 0, count: rows)
        var centreValues = [Float](repeating: 0, count: k * d)
        let valid = bytes.withUnsafeBytes { raw in
            for i in 0..<(k * d) {
                centreValues[i] = Float(
                    bitPattern: UInt32(
                        littleEndian: raw.loadUnaligned(fromByteOffset: centreStart + 4 * i, as: UInt32.self)))
            }
            for r in 0..<rows {
                assignment[r] = Int(
                    UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: clusterStart + 2 * r, as: UInt16.self)))
            }
            return assignment.allSatisfy { $0 < k } && centreValues.allSatisfy(\.isFinite)
        }
        guard valid else { return nil }
        dims = d
        centres = Matrix(rows: k, cols: d, storage: centreValues)
        centresByDimension = Self.transposed(centres)  // an initializer does not run `centres`'s didSet
        place(vectors, assignment: assignment)
    }
}
