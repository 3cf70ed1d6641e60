extension Hamming {
    /// Scores `count` consecutive codes against one query and calls `offer(distance, j)` for every
    /// code j whose distance is below `bound`; `offer` may lower `bound`. Four codes per step and
    /// one branch when none of them can enter, so a top-k search reads a block in one pass and
    /// touches its heap only for codes that would enter. The query's words stay in registers.
    @inlinable @inline(__always)
    public static func screen(
        query: UnsafePointer<UInt64>, codes: UnsafePointer<UInt64>, count: Int,
        wordsPerCode: Int, bound: inout Int, offer: (Int, Int, inout Int) -> Void
    ) {
        switch wordsPerCode {
        case 1:
            let a = query[0]
            screen(count, &bound, offer) { (codes[$0] ^ a).nonzeroBitCount }
        case 2:
            let a = query[0], b = query[1]
            screen(count, &bound, offer) {
                let c = codes + 2 * $0
                return (c[0] ^ a).nonzeroBitCount &+ (c[1] ^ b).nonzeroBitCount
            }
        case 4:
            let a = query[0], b = query[1], c = query[2], e = query[3]
            screen(count, &bound, offer) {
                let p = codes + 4 * $0
                return ((p[0] ^ a).nonzeroBitCount &+ (p[1] ^ b).nonzeroBitCount)
                    &+ ((p[2] ^ c).nonzeroBitCount &+ (p[3] ^ e).nonzeroBitCount)
            }
        default:
            screen(count, &bound, offer) { distance(query, codes + wordsPerCode * $0, words: wordsPerCode) }
        }
    }

    @inlinable @inline(__always)
    static func screen(
        _ count: Int, _ bound: inout Int, _ offer: (Int, Int, inout Int) -> Void,
        _ distance: (Int) -> Int
    ) {
        var j = 0
        while j + 4 <= count {
            let d0 = distance(j), d1 = distance(j + 1), d2 = distance(j + 2), d3 = distance(j + 3)
            if min(min(d0, d1), min(d2, d3)) < bound {
                if d0 < bound { offer(d0, j, &bound) }
                if d1 < bound { offer(d1, j + 1, &bound) }
                if d2 < bound { offer(d2, j + 2, &bound) }
                if d3 < bound { offer(d3, j + 3, &bound) }
            }
            j += 4
        }
        while j < count {
            let d = distance(j)
            if d < bound { offer(d, j, &bound) }
            j += 1
        }
    }

    /// `screen` for two 256-bit queries at once: each code's four words are loaded once for both
    /// and the two popcount chains run side by side.
    @inlinable @inline(__always)
    public static func screenPair256(
        _ qa: UnsafePointer<UInt64>, _ qc: UnsafePointer<UInt64>,
        codes: UnsafePointer<UInt64>, count: Int, boundA: inout Int, boundC: inout Int,
        offerA: (Int, Int, inout Int) -> Void, offerC: (Int, Int, inout Int) -> Void
    ) {
        let (a0, a1, a2, a3) = (qa[0], qa[1], qa[2], qa[3])
        let (c0, c1, c2, c3) = (qc[0], qc[1], qc[2], qc[3])
        for j in 0..<count {
            let p = codes + 4 * j
            let (w0, w1, w2, w3) = (p[0], p[1], p[2], p[3])
            let dA =
                ((w0 ^ a0).nonzeroBitCount &+ (w1 ^ a1).nonzeroBitCount)
                &+ ((w2 ^ a2).nonzeroBitCount &+ (w3 ^ a3).nonzeroBitCount)
            let dC =
                ((w0 ^ c0).nonzeroBitCount &+ (w1 ^ c1).nonzeroBitCount)
                &+ ((w2 ^ c2).nonzeroBitCount &+ (w3 ^ c3).nonzeroBitCount)
            if dA < boundA { offerA(dA, j, &boundA) }
            if dC < boundC { offerC(dC, j, &boundC) }
        }
    }
}
