/// Hamming-distance kernels over codes packed as in `BinaryCodes` (LSB-first words,
/// unused high bits zero, so whole words can be popcounted).
///
/// `distance` is the per-pair kernel (word-unrolled for 1, 2 and 4 words);
/// `distances` scans one query against a contiguous run of codes and is what the
/// indexes call per block: each width has its own straight-line loop so the
/// compiler can vectorise the popcounts. `naiveDistance` compares bit by bit and
/// exists as the reference the tests check the fast kernels against.
public enum Hamming {
    /// Hamming distance between two codes of `words` words each.
    @inlinable @inline(__always)
    public static func distance(_ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>, words: Int) -> Int {
        switch words {
        case 1:
            return (a[0] ^ b[0]).nonzeroBitCount
        case 2:
            return (a[0] ^ b[0]).nonzeroBitCount &+ (a[1] ^ b[1]).nonzeroBitCount
        case 4:
            return ((a[0] ^ b[0]).nonzeroBitCount &+ (a[1] ^ b[1]).nonzeroBitCount)
                &+ ((a[2] ^ b[2]).nonzeroBitCount &+ (a[3] ^ b[3]).nonzeroBitCount)
        default:
            var d = 0
            for w in 0..<words { d &+= (a[w] ^ b[w]).nonzeroBitCount }
            return d
        }
    }

    /// Hamming distance between two codes given as word arrays of equal length.
    public static func distance(_ a: [UInt64], _ b: [UInt64]) -> Int {
        precondition(a.count == b.count, "Hamming.distance: codes have \(a.count) and \(b.count) words")
        return a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                a.isEmpty ? 0 : distance(pa.baseAddress!, pb.baseAddress!, words: a.count)
            }
        }
    }

    /// Reference kernel: compares the first `bits` bits one at a time, no popcount.
    public static func naiveDistance(_ a: [UInt64], _ b: [UInt64], bits: Int) -> Int {
        precondition(a.count * 64 >= bits && b.count * 64 >= bits, "naiveDistance: codes shorter than \(bits) bits")
        var d = 0
        for j in 0..<bits where (a[j / 64] >> UInt64(j % 64)) & 1 != (b[j / 64] >> UInt64(j % 64)) & 1 { d += 1 }
        return d
    }

    /// Writes the distance from `query` to each of `count` consecutive codes into `out`.
    public static func distances(
        query: UnsafePointer<UInt64>, codes: UnsafePointer<UInt64>, count: Int,
        wordsPerCode: Int, into out: UnsafeMutablePointer<UInt16>
    ) {
        switch wordsPerCode {
        case 1: scan1(query, codes, count, out)
        case 2: scan2(query, codes, count, out)
        case 4: scan4(query, codes, count, out)
        default: scanGeneric(query, codes, count, wordsPerCode, out)
        }
    }

    @usableFromInline static func scan1(
        _ q: UnsafePointer<UInt64>, _ x: UnsafePointer<UInt64>, _ n: Int,
        _ out: UnsafeMutablePointer<UInt16>
    ) {
        let q0 = q[0]
        for i in 0..<n { out[i] = UInt16(truncatingIfNeeded: (x[i] ^ q0).nonzeroBitCount) }
    }

    @usableFromInline static func scan2(
        _ q: UnsafePointer<UInt64>, _ x: UnsafePointer<UInt64>, _ n: Int,
        _ out: UnsafeMutablePointer<UInt16>
    ) {
        let q0 = q[0], q1 = q[1]
        for i in 0..<n {
            let c = x + 2 * i
            out[i] = UInt16(truncatingIfNeeded: (c[0] ^ q0).nonzeroBitCount &+ (c[1] ^ q1).nonzeroBitCount)
        }
    }

    @usableFromInline static func scan4(
        _ q: UnsafePointer<UInt64>, _ x: UnsafePointer<UInt64>, _ n: Int,
        _ out: UnsafeMutablePointer<UInt16>
    ) {
        let q0 = q[0], q1 = q[1], q2 = q[2], q3 = q[3]
        for i in 0..<n {
            let c = x + 4 * i
            let d =
                ((c[0] ^ q0).nonzeroBitCount &+ (c[1] ^ q1).nonzeroBitCount)
                &+ ((c[2] ^ q2).nonzeroBitCount &+ (c[3] ^ q3).nonzeroBitCount)
            out[i] = UInt16(truncatingIfNeeded: d)
        }
    }

    @usableFromInline static func scanGeneric(
        _ q: UnsafePointer<UInt64>, _ x: UnsafePointer<UInt64>, _ n: Int,
        _ wpc: Int, _ out: UnsafeMutablePointer<UInt16>
    ) {
        for i in 0..<n {
            let c = x + wpc * i
            var d = 0
            for w in 0..<wpc { d &+= (c[w] ^ q[w]).nonzeroBitCount }
            out[i] = UInt16(truncatingIfNeeded: d)
        }
    }
}

extension BinaryCodes {
    /// Hamming distance between code i of `self` and code j of `other` (same width).
    public func distance(_ i: Int, to other: BinaryCodes, _ j: Int) -> Int {
        precondition(bits == other.bits, "distance: codes have \(bits) and \(other.bits) bits")
        precondition(i >= 0 && i < count && j >= 0 && j < other.count, "distance: code index out of range")
        let wpc = wordsPerCode
        return words.withUnsafeBufferPointer { a in
            other.words.withUnsafeBufferPointer { b in
                Hamming.distance(a.baseAddress! + i * wpc, b.baseAddress! + j * wpc, words: wpc)
            }
        }
    }
}
