import Testing
import VicinityCodes
import VicinityMath
@testable import VicinitySearch

/// The indexes whose rows follow the store's on DEL (the last row moves into the hole).
protocol SwappingRemoval: HammingSearchIndex {
    var codes: BinaryCodes { get }
    mutating func removeSwappingLast(_ row: Int)
}
extension MultiIndexHash: SwappingRemoval {}
extension GroupedHammingIndex: SwappingRemoval {}

/// One write on the index and the oracle alike: one time in three an ADD of up to `adding`
/// clustered codes, else a DEL of a random row; then both hold the same codes.
func write(
    _ index: inout some SwappingRemoval, _ oracle: inout BinaryCodes, adding: Int, flips: Int, rng: inout SeededRNG
) {
    if rng.below(3) == 0 {
        let more = clusteredCodes(1 + rng.below(adding), bits: oracle.bits, centres: 40, flips: flips, rng: &rng)
        index.add(more)
        oracle.append(contentsOf: more)
    } else {
        let row = rng.below(oracle.count)
        index.removeSwappingLast(row)
        oracle.swapRemove(row)
    }
    #expect(index.codes == oracle)
}

/// DEL as the store does it (the last row moves into the hole), on the multi-index hash
/// without a rebuild, against a linear scan over the same rows after every step.
@Suite struct MultiIndexChangesTests {
    @Test(arguments: [64, 128])
    func removingSwappingLastMatchesAScan(bits: Int) {
        var rng = SeededRNG(seed: UInt64(bits))
        let start = clusteredCodes(3000, bits: bits, centres: 40, flips: 6, rng: &rng)
        var index = MultiIndexHash(start)
        var oracle = start
        let queries = mixedQueries(start, 30, rng: &rng)
        for step in 0..<400 {
            // Adds stay pending (scanned) until the next rebuild; removes then make loose rows.
            write(&index, &oracle, adding: 40, flips: 6, rng: &rng)
            if step % 25 == 0 || step == 399 {
                expectMatchesOracle(index, BruteForceHamming(oracle), queries, radii: [0, 3, 9])
            }
        }
        #expect(index.looseRows.count + index.rowCount - index.indexedRows > 0 || index.indexedRows == index.rowCount)
    }

    @Test func removingEveryRowLeavesAnEmptyIndex() {
        var rng = SeededRNG(seed: 4)
        var index = MultiIndexHash(uniformCodes(600, bits: 64, rng: &rng))
        while index.rowCount > 0 { index.removeSwappingLast(rng.below(index.rowCount)) }
        #expect(index.search(uniformCodes(1, bits: 64, rng: &rng), k: 5) == [[]])
    }

    /// The grouped index under the store's DEL and ADD, with filters and NOSELF, on codes where
    /// most rows share their code with others (as a learned head gives): groups empty, come
    /// back, and the last row moves into groups of every size.
    @Test(arguments: [(64, 4), (64, 0), (20, 1), (130, 2)])
    func groupedIndexUnderChangesMatchesAScan(bits: Int, flips: Int) {
        var rng = SeededRNG(seed: UInt64(bits * 10 + flips))
        let start = clusteredCodes(2500, bits: bits, centres: 60, flips: flips, rng: &rng)
        var index = GroupedHammingIndex(start, substrings: bits <= 32 ? 1 : nil)
        var oracle = start
        let queries = mixedQueries(start, 24, rng: &rng)
        for step in 0..<300 {
            write(&index, &oracle, adding: 30, flips: flips, rng: &rng)
            if step % 30 == 0 || step == 299 {
                let scan = BruteForceHamming(oracle)
                expectMatchesOracle(index, scan, queries, radii: [0, 3, 9])
                // A filter keeping every third row, and the query item itself left out.
                let filter = RowFilter(rowCount: oracle.count, where: { $0 % 3 == 0 })
                for q in 0..<8 {
                    let own = rng.below(oracle.count), code = oracle.code(own)
                    let ranked = scan.ranked(MultiIndexHash.single(code, bits: bits), 0)
                    let kept = ranked.filter { $0.index % 3 == 0 && $0.index != own }
                    #expect(index.search(code, k: 7, filter: filter, excluding: own) == Array(kept.prefix(7)), "q \(q)")
                    #expect(
                        index.search(code, radius: 4, filter: filter, excluding: own)
                            == kept.filter { $0.distance <= 4 })
                }
            }
        }
        // One live group per distinct code left.
        #expect(index.groups.count == Set((0..<oracle.count).map { oracle.code($0) }).count)
    }
}
