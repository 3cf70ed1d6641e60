import Testing
import VicinityCodes
import VicinityMath
@testable import VicinitySearch

/// Uniform random codes.
func uniformCodes(_ count: Int, bits: Int, rng: inout SeededRNG) -> BinaryCodes {
    var codes = BinaryCodes(bits: bits, count: count)
    for i in 0..<count { for j in 0..<bits where rng.next() & 1 == 1 { codes.setBit(i, j, true) } }
    return codes
}

/// Clustered codes: `centres` random centres, each code a centre with up to `flips`
/// random bits flipped, so near neighbours and exact duplicates are common.
func clusteredCodes(_ count: Int, bits: Int, centres: Int, flips: Int, rng: inout SeededRNG) -> BinaryCodes {
    let c = uniformCodes(max(centres, 1), bits: bits, rng: &rng)
    var codes = BinaryCodes(bits: bits)
    for _ in 0..<count {
        codes.append(c.code(rng.below(c.count)))
        for _ in 0..<rng.below(flips + 1) { codes.flipBit(codes.count - 1, rng.below(bits)) }
    }
    return codes
}

/// Queries near database rows (a few bits flipped) plus a few uniform ones.
func mixedQueries(_ base: BinaryCodes, _ n: Int, rng: inout SeededRNG) -> BinaryCodes {
    var q = uniformCodes(n / 3 + 1, bits: base.bits, rng: &rng)
    for _ in 0..<(n - q.count) where base.count > 0 {
        q.append(base.code(rng.below(base.count)))
        for _ in 0..<rng.below(4) { q.flipBit(q.count - 1, rng.below(base.bits)) }
    }
    return q
}

/// Checks k-NN for several k and radius queries for several r against the oracle.
func expectMatchesOracle(
    _ index: some HammingSearchIndex, _ oracle: BruteForceHamming, _ queries: BinaryCodes,
    radii: [Int], sourceLocation: SourceLocation = #_sourceLocation
) {
    expectMatchesOracle(index, Ranked(oracle, queries), radii: radii, sourceLocation: sourceLocation)
}

/// The oracle's full ranking for each query, computed once and shared by several indexes.
struct Ranked {
    let oracle: BruteForceHamming
    let queries: BinaryCodes
    let lists: [[Neighbor]]
    init(_ oracle: BruteForceHamming, _ queries: BinaryCodes) {
        self.oracle = oracle
        self.queries = queries
        lists = (0..<queries.count).map { oracle.ranked(queries, $0) }
    }
}

func expectMatchesOracle(
    _ index: some HammingSearchIndex, _ truth: Ranked,
    radii: [Int], sourceLocation: SourceLocation = #_sourceLocation
) {
    let (oracle, queries, ranked) = (truth.oracle, truth.queries, truth.lists)
    #expect(index.count == oracle.count && index.rowCount == oracle.rowCount, sourceLocation: sourceLocation)
    for k in [0, 1, 10, oracle.count + 3] {
        let got = index.search(queries, k: k)
        for q in 0..<queries.count {
            #expect(got[q] == Array(ranked[q].prefix(k)), "k=\(k) query \(q)", sourceLocation: sourceLocation)
        }
    }
    for r in radii {
        let got = index.search(queries, radius: r)
        for q in 0..<queries.count {
            #expect(
                got[q] == ranked[q].filter { $0.distance <= Float(r) }, "r=\(r) query \(q)",
                sourceLocation: sourceLocation)
        }
    }
}

@Suite struct HammingSearchTests {
    static let cases: [(count: Int, bits: Int)] = [
        (0, 64), (1, 64), (2, 33), (100, 64), (100, 65), (100, 256), (5000, 64), (2000, 128),
    ]

    @Test(arguments: cases)
    func linearScanAndMultiIndexMatchTheOracle(count: Int, bits: Int) {
        var rng = SeededRNG(seed: UInt64(count * 1000 + bits))
        let base =
            count >= 100
            ? clusteredCodes(count, bits: bits, centres: count / 20, flips: bits / 8, rng: &rng)
            : uniformCodes(count, bits: bits, rng: &rng)
        let queries = mixedQueries(base, count >= 2000 ? 8 : 12, rng: &rng)
        let oracle = Ranked(BruteForceHamming(base), queries)
        let radii = [0, 2, bits / 8, bits / 3]
        expectMatchesOracle(HammingIndex(base), oracle, radii: radii)
        expectMatchesOracle(MultiIndexHash(base), oracle, radii: radii)
        expectMatchesOracle(GroupedHammingIndex(base), oracle, radii: radii)
        let minM = (bits + 31) / 32
        for m in Set(count >= 2000 ? [minM, 4] : [minM, minM + 1, 4, bits / 10 + 1]) where m >= minM && m <= bits {
            let mih = MultiIndexHash(base, substrings: m)
            #expect(
                mih.substrings == m && mih.substringWidths.reduce(0, +) == bits
                    && mih.substringWidths.allSatisfy { $0 <= 32 })
            expectMatchesOracle(mih, oracle, radii: radii)
            expectMatchesOracle(GroupedHammingIndex(base, substrings: m), oracle, radii: radii)
        }
    }

    /// Every width, special-cased by the kernels or not: 1–9 and 16 words per code, with a partial
    /// last word for some; 67 queries (two tiles, an odd one out of the 256-bit pairs), two blocks.
    @Test(arguments: Array(1...9) + [16])
    func everyWordCountMatchesTheOracle(words: Int) {
        let bits = 64 * words - (words % 3 == 0 ? 7 : 0)
        var rng = SeededRNG(seed: UInt64(900 + words))
        let base = clusteredCodes(4500, bits: bits, centres: 150, flips: bits / 10, rng: &rng)
        let queries = mixedQueries(base, 67, rng: &rng)
        expectMatchesOracle(HammingIndex(base), Ranked(BruteForceHamming(base), queries), radii: [0, bits / 4])
    }

    @Test func defaultSubstringCountFollowsThePaper() {
        #expect(MultiIndexHash.defaultSubstrings(bits: 64, count: 1 << 20) == 3)
        #expect(MultiIndexHash.defaultSubstrings(bits: 64, count: 10_000_000) == 3)
        #expect(MultiIndexHash.defaultSubstrings(bits: 256, count: 1 << 16) == 16)
        #expect(MultiIndexHash.defaultSubstrings(bits: 128, count: 2) == 128)
        #expect(MultiIndexHash.defaultSubstrings(bits: 1024, count: 1 << 40) == 32)
        let big = MultiIndexHash(BinaryCodes(bits: 64, count: 300))
        #expect(big.substrings == 8 && big.indexedRows == 300)
        #expect(MultiIndexHash(BinaryCodes(bits: 64, count: 10)).substrings == 0)  // scans
    }

    @Test func duplicatesTieByRow() {
        var rng = SeededRNG(seed: 5)
        let one = uniformCodes(2, bits: 64, rng: &rng)
        var base = BinaryCodes(bits: 64)
        for i in 0..<300 { base.append(one.code(i % 7 == 0 ? 1 : 0)) }
        let oracle = BruteForceHamming(base)
        let queries = one
        expectMatchesOracle(HammingIndex(base), oracle, queries, radii: [0, 64])
        expectMatchesOracle(MultiIndexHash(base), oracle, queries, radii: [0, 64])
        expectMatchesOracle(MultiIndexHash(base, substrings: 2), oracle, queries, radii: [0, 5])
        expectMatchesOracle(GroupedHammingIndex(base), oracle, queries, radii: [0, 64])
        #expect(GroupedHammingIndex(base).groups.rowCount == 2)
        let hits = MultiIndexHash(base, substrings: 3).search(one, k: 5)
        #expect(hits[0].map(\.index) == [1, 2, 3, 4, 5] && hits[0].allSatisfy { $0.distance == 0 })
        #expect(hits[1].map(\.index) == [0, 7, 14, 21, 28] && hits[1].allSatisfy { $0.distance == 0 })
    }

    /// Adds, removes and re-adds on every index and on the oracle alike.
    @Test(arguments: [64, 100])
    func removalAndIncrementalAdd(bits: Int) {
        var rng = SeededRNG(seed: UInt64(bits))
        let first = clusteredCodes(3000, bits: bits, centres: 60, flips: 6, rng: &rng)
        let second = clusteredCodes(4500, bits: bits, centres: 60, flips: 6, rng: &rng)
        var oracle = BruteForceHamming(first)
        var flat = HammingIndex(first)
        var mih = MultiIndexHash(first)
        var mih4 = MultiIndexHash(first, substrings: 4)
        var grouped = GroupedHammingIndex(first)
        let removals = (0..<400).map { _ in rng.below(3000) }
        for r in removals { oracle.remove(r); flat.remove(r); mih.remove(r); mih4.remove(r); grouped.remove(r) }
        grouped.remove(removals[0])
        mih.remove(removals[0])  // removing twice changes nothing
        // A small add stays pending (scanned); then a large one triggers a rebuild.
        let small = second.codes(0..<100), large = second.codes(100..<second.count)
        for more in [small, large] {
            oracle.add(more); flat.add(more); mih.add(more); mih4.add(more); grouped.add(more)
            let queries = mixedQueries(oracle.codes, 6, rng: &rng)
            for r in [3005, 3001 + rng.below(oracle.rowCount - 3001)] {
                oracle.remove(r); flat.remove(r); mih.remove(r); mih4.remove(r); grouped.remove(r)
            }
            #expect(mih.isRemoved(3005) && !mih.isRemoved(oracle.rowCount - 1))
            #expect(grouped.isRemoved(3005) && !grouped.isRemoved(oracle.rowCount - 1))
            let truth = Ranked(oracle, queries)
            for index in [flat, mih, mih4, grouped] as [any HammingSearchIndex] {
                expectMatchesOracle(index, truth, radii: [0, 4, 12])
            }
        }
        #expect(mih.indexedRows == oracle.rowCount && mih4.substrings == 4)
        // Growing from empty: the index switches from scanning to tables.
        var grown = MultiIndexHash(bits: bits)
        grown.add(first)
        grown.add(second.codes(0..<10))
        #expect(grown.substrings > 0 && grown.indexedRows == 3000)
        var oracle2 = BruteForceHamming(first)
        oracle2.add(second.codes(0..<10))
        expectMatchesOracle(grown, oracle2, mixedQueries(first, 6, rng: &rng), radii: [5])
    }

    @Test func everythingRemoved() {
        var rng = SeededRNG(seed: 11)
        let base = uniformCodes(300, bits: 64, rng: &rng)
        var flat = HammingIndex(base), mih = MultiIndexHash(base), grouped = GroupedHammingIndex(base)
        for r in 0..<300 { flat.remove(r); mih.remove(r); grouped.remove(r) }
        #expect(flat.count == 0 && mih.count == 0 && grouped.count == 0)
        #expect(
            grouped.search(base, k: 5).allSatisfy(\.isEmpty) && grouped.search(base, radius: 64).allSatisfy(\.isEmpty))
        #expect(flat.search(base, k: 5).allSatisfy(\.isEmpty) && mih.search(base, k: 5).allSatisfy(\.isEmpty))
        #expect(mih.search(base, radius: 64).allSatisfy { $0.isEmpty })
    }

    @Test func singleQueryConveniences() {
        var rng = SeededRNG(seed: 12)
        let base = clusteredCodes(500, bits: 128, centres: 10, flips: 5, rng: &rng)
        let index = MultiIndexHash(base)
        let q = base.code(17)
        #expect(index.search(q, k: 3) == HammingIndex(base).search(q, k: 3))
        #expect(index.radius(q, r: 5) == BruteForceHamming(base).radius(q, r: 5))
        #expect(index.search(q, k: 1)[0] == Neighbor(distance: 0, index: index.radius(q, r: 0)[0].index))
    }
}

/// Codes of at most 32 bits as addresses (semantic hashing): one table over the whole code, so a
/// radius query enumerates the Hamming ball around the query's address. The server's index for such stores.
@Suite struct AddressTableTests {
    @Test(arguments: [(0, 12), (1, 8), (2, 16), (100, 10), (5000, 12), (3000, 32), (2000, 24), (4000, 20)])
    func ballsMatchTheScan(count: Int, bits: Int) {
        var rng = SeededRNG(seed: UInt64(count + bits))
        let base =
            count >= 100
            ? clusteredCodes(count, bits: bits, centres: 30, flips: 2, rng: &rng)
            : uniformCodes(count, bits: bits, rng: &rng)
        let index = MultiIndexHash(base, substrings: 1)
        #expect(index.substrings == 1 && index.substringWidths == [bits])
        expectMatchesOracle(index, BruteForceHamming(base), mixedQueries(base, 12, rng: &rng), radii: [0, 1, 2, 3, 4])
        if count >= 3000 { #expect(index.tables[0].direct == (bits <= 16)) }
    }

    @Test func removalsMovesAndPendingRows() {
        var rng = SeededRNG(seed: 77)
        let base = clusteredCodes(1000, bits: 20, centres: 20, flips: 3, rng: &rng)
        var oracle = BruteForceHamming(base.codes(0..<600))
        var index = MultiIndexHash(base.codes(0..<600), substrings: 1)
        for r in [0, 5, 599, 300] { oracle.remove(r); index.remove(r) }
        oracle.add(base.codes(600..<800))
        index.add(base.codes(600..<800))
        oracle.remove(700)
        index.remove(700)
        expectMatchesOracle(index, oracle, mixedQueries(base, 10, rng: &rng), radii: [0, 2, 4])
        // The server's delete: the last row moves into the removed one's place.
        var moved = MultiIndexHash(base.codes(0..<800), substrings: 1)
        var rows = Array(0..<800)
        for r in [3, 0, 400, 795] {
            moved.removeSwappingLast(r)
            rows.swapAt(r, rows.count - 1)
            rows.removeLast()
        }
        expectMatchesOracle(
            moved, BruteForceHamming(base.codes(rows)), mixedQueries(base, 10, rng: &rng), radii: [0, 1, 2, 3, 4])
    }
}
