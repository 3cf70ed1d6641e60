import Testing
import VicinityMath
@testable import VicinitySearch

/// The KNN clustering saved with a store: read back it gives the same index; made a chunk at
/// a time it gives a valid one; bytes that do not describe the rows are refused.
@Suite struct SavedClusteringTests {
    @Test(arguments: [(0, 3), (5, 3), (4000, 12)])
    func savedBytesGiveTheSameIndex(count: Int, dims: Int) throws {
        let base = ClusteredFlatIndexTests.clustered(count, dims: dims, spread: 0.5, seed: 7)
        let built = ClusteredFlatIndex(base)
        let read = try #require(ClusteredFlatIndex(base, saved: built.savedBytes))
        #expect(read.clusterOf == built.clusterOf && read.centres == built.centres)
        #expect(read.centresByDimension == built.centresByDimension)
        #expect(read.clusters.map(\.rows) == built.clusters.map(\.rows))
        #expect(read.clusters.map(\.stepStart) == built.clusters.map(\.stepStart))
        #expect(
            read.clusters.map(\.shape) == built.clusters.map(\.shape)
                && read.clusters.map(\.axes) == built.clusters.map(\.axes))
        #expect(read.clusters.map(\.inner) == built.clusters.map(\.inner))
        #expect(read.clusters.map(\.radius) == built.clusters.map(\.radius) && read.vectors == base)
        // And it reads as few rows: the bounds are the built index's.
        for q in 0..<min(count, 20) {
            #expect(
                read.searchCountingRows(base.row(q), k: 5).scored == built.searchCountingRows(base.row(q), k: 5).scored)
        }
    }

    @Test func aClusteringMadeInChunksAnswersExactly() throws {
        let base = ClusteredFlatIndexTests.clustered(6000, dims: 9, spread: 0.8, seed: 2)
        let bytes = try ClusteredFlatIndex.savedClustering(
            count: base.rows, dims: base.cols, rows: { base.rows($0) },
            scan: { each in
                // Chunks in a scrambled row order, as a store's id order would give them.
                let order = (0..<base.rows).map { ($0 * 7919) % base.rows }
                for start in stride(from: 0, to: order.count, by: 1000) {
                    let rows = Array(order[start..<min(order.count, start + 1000)])
                    each(rows, base.rows(rows))
                }
            })
        let index = try #require(ClusteredFlatIndex(base, saved: bytes))
        #expect(index.clusterCount == ClusteredFlatIndex.clusters(for: base.rows))
        let flat = FlatIndex(base)
        var rng = SeededRNG(seed: 5)
        for _ in 0..<30 {
            let q = base.row(rng.below(base.rows)).map { $0 + rng.uniform() - 0.5 }
            #expect(index.searchOne(q, k: 10) == flat.searchOne(q, k: 10))
        }
    }

    @Test func bytesThatDoNotDescribeTheRowsAreRefused() {
        let base = ClusteredFlatIndexTests.clustered(500, dims: 4, spread: 0.5, seed: 1)
        let bytes = ClusteredFlatIndex(base).savedBytes
        #expect(ClusteredFlatIndex(base, saved: Array(bytes.dropLast())) == nil)
        #expect(ClusteredFlatIndex(base.rows(Array(0..<499)), saved: bytes) == nil)
        #expect(ClusteredFlatIndex(base, saved: [0x57] + bytes.dropFirst()) == nil)
        var outOfRange = bytes
        outOfRange[outOfRange.count - 1] = 0xff
        outOfRange[outOfRange.count - 2] = 0xff
        #expect(ClusteredFlatIndex(base, saved: outOfRange) == nil)
        #expect(ClusteredFlatIndex(base, saved: []) == nil)
    }
}
