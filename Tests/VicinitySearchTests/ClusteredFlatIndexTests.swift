import Testing
import VicinityMath
@testable import VicinitySearch

@Suite struct ClusteredFlatIndexTests {
    /// Points around a few centres, so the bounds actually skip clusters.
    static func clustered(_ count: Int, dims: Int, spread: Float, seed: UInt64) -> Matrix {
        var rng = SeededRNG(seed: seed)
        let centres = (0..<8 * dims).map { _ in rng.uniform() * 10 - 5 }
        return Matrix(
            rows: count, cols: dims,
            storage: (0..<count * dims).map { i in
                centres[(i / dims % 8) * dims + i % dims] + spread * (rng.uniform() - 0.5)
            })
    }

    /// Identical answers — rows and bit-identical distances — to FlatIndex's direct
    /// scan, and the same rows as the Double brute-force oracle on exact data.
    @Test(arguments: [(0, 3), (1, 3), (10, 1), (300, 30), (5000, 17), (9000, 2)])
    func matchesTheFlatScan(count: Int, dims: Int) {
        var rng = SeededRNG(seed: UInt64(count + dims))
        // Integer coordinates: exact distances, so ties are real ties.
        let grid = Matrix(rows: count, cols: dims, storage: (0..<count * dims).map { _ in Float(rng.below(4)) })
        let queries = Matrix(rows: 20, cols: dims, storage: (0..<20 * dims).map { _ in Float(rng.below(4)) })
        for base in [grid, Self.clustered(count, dims: dims, spread: 0.5, seed: 3)] {
            let index = ClusteredFlatIndex(base), flat = FlatIndex(base)
            #expect(index.vectors == base)
            for k in [1, 10, count + 5] {
                let got = index.search(queries, k: k)
                for q in 0..<queries.rows {
                    #expect(got[q] == flat.searchOne(queries.row(q), k: k))
                }
            }
        }
        for q in 0..<queries.rows {
            #expect(
                ClusteredFlatIndex(grid).searchOne(queries.row(q), k: 7).map(\.index)
                    == bruteForce(grid, queries.row(q), k: 7, metric: .l2))
        }
    }

    /// A finite query so large that every squared distance overflows to ∞: all rows tie,
    /// and the answer is still the flat scan's (lowest rows first), not one cluster's.
    @Test func overflowingQueriesStillMatchTheFlatScan() {
        let base = Self.clustered(2000, dims: 4, spread: 1, seed: 4)
        let query: [Float] = [3e19, -3e19, 3e19, 1]
        #expect(ClusteredFlatIndex(base).searchOne(query, k: 5) == FlatIndex(base).searchOne(query, k: 5))
        #expect(ClusteredFlatIndex(base).searchOne(query, k: 5).map(\.index) == [0, 1, 2, 3, 4])
    }

    /// Queries from the data itself (as `KNN … ID` sends) find themselves first, and
    /// most clusters go unread — the point of the index.
    @Test func skipsClustersAndFindsStoredItems() {
        let base = Self.clustered(4000, dims: 30, spread: 0.2, seed: 9)
        let index = ClusteredFlatIndex(base)
        #expect(index.clusterCount == 63)
        for row in stride(from: 0, to: 4000, by: 397) {
            let (hits, scored) = index.searchCountingRows(base.row(row), k: 5)
            #expect(hits.first == Neighbor(distance: 0, index: row))
            #expect(hits == FlatIndex(base).searchOne(base.row(row), k: 5))
            // 8 well-separated groups: rows of the other 7 are never scored.
            #expect(scored < 4000 / 4)
        }
    }

    /// Adds (placed, then reclustered once the index doubles) and swap-last removes,
    /// mirrored on a FlatIndex: answers stay identical throughout.
    @Test func addsAndRemovesMirrorAFlatIndex() {
        var rng = SeededRNG(seed: 5)
        let all = Self.clustered(3000, dims: 6, spread: 2, seed: 11)
        var index = ClusteredFlatIndex(Matrix(rows: 0, cols: 6))
        var flat = FlatIndex(dims: 6)
        var next = 0
        let queries = Self.clustered(10, dims: 6, spread: 3, seed: 12)
        while next < all.rows {
            let n = min(1 + rng.below(300), all.rows - next)
            let more = Matrix(rows: n, cols: 6, storage: Array(all.storage[(next * 6)..<((next + n) * 6)]))
            index.add(more)
            flat.add(more)
            next += n
            for _ in 0..<rng.below(40) where flat.count > 0 {
                let row = rng.below(flat.count)
                index.removeSwappingLast(row)
                flat.removeSwappingLast(row)
            }
            #expect(index.count == flat.count)
            #expect(index.vectors == flat.vectors)
            for q in 0..<queries.rows {
                #expect(index.searchOne(queries.row(q), k: 10) == flat.searchOne(queries.row(q), k: 10))
            }
        }
        // Down to nothing and back.
        while index.count > 0 { index.removeSwappingLast(0); flat.removeSwappingLast(0) }
        #expect(index.searchOne(queries.row(0), k: 3).isEmpty)
        index.add(Matrix(rows: 1, cols: 6, storage: queries.row(1)))
        #expect(index.searchOne(queries.row(1), k: 3) == [Neighbor(distance: 0, index: 0)])
    }

    /// Ring codes are made for the span of rings a cluster had: rows added nearer the centre
    /// than its innermost member, beyond its radius, all on one ring (no span) or into a
    /// cluster of one make the codes again, and answers stay those of a flat scan.
    @Test func addsOutsideARingSpanMatchTheFlatScan() {
        let base = Self.clustered(2000, dims: 8, spread: 1, seed: 31)
        var index = ClusteredFlatIndex(base)
        var flat = FlatIndex(base)
        var rng = SeededRNG(seed: 9)
        var added: [[Float]] = []
        for step in 0..<600 {
            let v: [Float]
            switch step % 4 {
            case 0: v = base.row(rng.below(base.rows)).map { $0 * 4 }  // far beyond the radius
            case 1: v = index.centres.row(rng.below(index.clusterCount))  // on a centre: ring 0
            case 2: v = base.row(7)  // one ring, many times
            default: v = base.row(rng.below(base.rows)).map { $0 + 0.01 }
            }
            added.append(v)
            index.add(Matrix(rows: 1, cols: 8, storage: v))
            flat.add(Matrix(rows: 1, cols: 8, storage: v))
            if step % 5 == 4 {
                let row = rng.below(flat.count)
                index.removeSwappingLast(row)
                flat.removeSwappingLast(row)
            }
        }
        #expect(index.clusteredCount == 2000)  // no reclustering: every row went to a cluster
        for q in added.indices where q % 3 == 0 {
            #expect(index.searchOne(added[q], k: 10) == flat.searchOne(added[q], k: 10))
        }
        for q in 0..<50 {
            #expect(index.searchOne(base.row(q * 37), k: 10) == flat.searchOne(base.row(q * 37), k: 10))
        }
        // A cluster of one, then copies of its row (no span), then rows around it.
        var small = ClusteredFlatIndex(Matrix(rows: 1, cols: 8, storage: base.row(0)))
        var smallFlat = FlatIndex(Matrix(rows: 1, cols: 8, storage: base.row(0)))
        for i in 0..<60 {
            let v = i < 20 ? base.row(0) : base.row(i)
            small.add(Matrix(rows: 1, cols: 8, storage: v))
            smallFlat.add(Matrix(rows: 1, cols: 8, storage: v))
            #expect(small.searchOne(base.row(i), k: 5) == smallFlat.searchOne(base.row(i), k: 5))
        }
    }

    /// Within the 10 % memory allowance at the server's code size, and every row's
    /// vector still reachable by row (its slot is found by scanning its cluster).
    @Test func memoryOverheadAtThirtyDims() {
        let base = Self.clustered(20000, dims: 30, spread: 1, seed: 21)
        let index = ClusteredFlatIndex(base)
        #expect(Double(index.overheadBytes) <= 0.10 * Double(base.count * 4))
        #expect(index.vectors == base)
        #expect((0..<base.rows).allSatisfy { index.vector($0) == base.row($0) })
    }
}
