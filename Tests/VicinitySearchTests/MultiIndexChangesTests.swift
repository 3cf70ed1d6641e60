import Testing
import VicinityCodes
import VicinityMath
@testable import VicinitySearch

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
            if rng.below(3) == 0 {
                // Adds stay pending (scanned) until the next rebuild; removes then make loose rows.
                let more = clusteredCodes(1 + rng.below(40), bits: bits, centres: 40, flips: 6, rng: &rng)
                index.add(more)
                oracle.append(contentsOf: more)
            } else {
                let row = rng.below(oracle.count)
                index.removeSwappingLast(row)
                oracle.swapRemove(row)
            }
            #expect(index.codes == oracle)
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
}
