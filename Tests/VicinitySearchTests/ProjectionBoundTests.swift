import Foundation
import Testing
import VicinityData
import VicinityMath
@testable import VicinitySearch

/// The batched L2 path that scores only the rows a principal-axes bound leaves in:
/// its answers must be the direct scan's, distances included, and the oracle's.
@Suite struct ProjectionBoundTests {
    /// Every query of a batch, through the bound, against the direct scan and the Double oracle.
    func expectExact(
        _ index: FlatIndex, _ base: Matrix, _ queries: Matrix, k: Int, oracle: Bool = true,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let batched = index.search(queries, k: k)
        for q in 0..<queries.rows {
            #expect(batched[q] == index.searchOne(queries.row(q), k: k), "query \(q)", sourceLocation: sourceLocation)
            if oracle {
                #expect(
                    batched[q].map(\.index) == bruteForce(base, queries.row(q), k: k, metric: .l2),
                    "query \(q)", sourceLocation: sourceLocation)
            }
        }
    }

    static func matrix(_ rows: Int, _ cols: Int, _ value: () -> Float) -> Matrix {
        Matrix(rows: rows, cols: cols, storage: (0..<rows * cols).map { _ in value() })
    }

    /// Integer grids: exact distances, so many real ties that the row order must break.
    @Test(arguments: [(2, 5, 2), (10, 6, 3), (500, 17, 8), (3000, 40, 16), (5000, 64, 24)])
    func integerGridsWithTies(count: Int, dims: Int, axes: Int) {
        var rng = SeededRNG(seed: UInt64(count + dims))
        let base = Self.matrix(count, dims) { Float(rng.below(3)) }
        let queries = Self.matrix(30, dims) { Float(rng.below(3)) }
        let index = FlatIndex(base, boundAxes: axes)
        #expect(index.bound != nil)
        for k in [1, 10, count + 3] { expectExact(index, base, queries, k: k) }
    }

    /// Low-rank data (the residual outside the axes is rounding only), duplicates,
    /// tight clusters where rounding decides ranks, and a large offset from the origin.
    @Test(arguments: [1e-2, 1e-5])
    func lowRankClusteredAndOffsetData(spread: Float) {
        var rng = SeededRNG(seed: 5)
        let (count, dims, rank) = (4000, 48, 6)
        let mixing = Self.matrix(rank, dims) { rng.uniform() * 2 - 1 }
        func points(_ n: Int) -> Matrix {
            var latent = Self.matrix(n, rank) { Float(rng.below(5)) + spread * (rng.uniform() - 0.5) }
            latent.storage[0..<rank] = latent.storage[rank..<2 * rank]  // a duplicate row
            var out = latent.multiplied(by: mixing)
            out.addToRows([Float](repeating: 100, count: dims))
            return out
        }
        let base = points(count), queries = points(40)
        for axes in [4, 6, 16] {
            expectExact(FlatIndex(base, boundAxes: axes), base, queries, k: 10, oracle: false)
        }
    }

    /// A small ball far from the origin (coordinates 1e4 ± 1e-2, so Float resolves
    /// steps of ~1e-3): the bound's rounding must scale with the centred data, not the raw.
    @Test func smallBallFarFromTheOrigin() {
        var rng = SeededRNG(seed: 13)
        let offset = Self.matrix(1, 40) { 1e4 * (1 + rng.uniform()) }.storage
        func points(_ n: Int) -> Matrix {
            var m = Self.matrix(n, 40) { 1e-2 * (rng.uniform() - 0.5) }
            m.addToRows(offset)
            return m
        }
        let base = points(3000), queries = points(40)
        expectExact(FlatIndex(base, boundAxes: 8), base, queries, k: 10, oracle: false)
    }

    /// Adds that cross refits, and swap-removals, keep the projections in step with the rows.
    @Test func addsAndRemovals() {
        var rng = SeededRNG(seed: 9)
        var index = FlatIndex(dims: 20, boundAxes: 8)
        var rows: [[Float]] = []
        for step in 0..<12 {
            let more = Self.matrix(step * 37 + 1, 20) { Float(rng.below(4)) }
            index.add(more)
            rows += (0..<more.rows).map { more.row($0) }
            for _ in 0..<step * 9 {
                let r = rng.below(rows.count)
                index.removeSwappingLast(r)
                rows[r] = rows[rows.count - 1]
                rows.removeLast()
            }
            let base = Matrix(rows.map { $0 })
            #expect(index.count == rows.count)
            #expect(index.bound?.projectedNorms.count == (step == 0 ? nil : rows.count))
            expectExact(index, base, Self.matrix(20, 20) { Float(rng.below(4)) }, k: 6)
        }
    }

    /// The bound rules out nearly every row where the data lie near the axes, and
    /// almost none on isotropic noise — where a batch must go through the plain
    /// path instead (the probe's decision), with the same answers either way.
    @Test func scoredShareDecidesThePath() {
        var rng = SeededRNG(seed: 8)
        let (count, dims) = (6000, 48)
        let mixing = Self.matrix(4, dims) { rng.uniform() * 2 - 1 }
        let lowRank = Self.matrix(count + 100, 4) { rng.uniform() * 10 }.multiplied(by: mixing)
        let noise = Self.matrix(count + 100, dims) { rng.uniform() }
        for (data, worthwhile) in [(lowRank, true), (noise, false)] {
            let base = data.rows(in: 0..<count), queries = data.rows(in: count..<count + 100)
            let index = FlatIndex(base, boundAxes: 8)
            let (_, scored) = index.searchBounded(queries, k: 10, bound: index.bound!)
            let share = Double(scored) / Double(queries.rows * count)
            #expect((share <= FlatIndex.boundMaximumScoredFraction) == worthwhile, "scored share \(share)")
            expectExact(index, base, queries, k: 10, oracle: false)
        }
    }

    /// A query whose norms overflow Float cannot be bounded; it still gets the direct scan's answer.
    @Test func overflowingQueriesFallBackToTheDirectScan() {
        var rng = SeededRNG(seed: 3)
        let base = Self.matrix(2000, 24) { rng.uniform() }
        let index = FlatIndex(base, boundAxes: 8)
        var queries = Self.matrix(20, 24) { rng.uniform() }
        queries[3, 5] = 3e19
        queries[7, 0] = .infinity
        expectExact(index, base, queries, k: 5, oracle: false)
    }

    /// The automatic choice: on at high dimension within the 10 % memory allowance, off below.
    @Test func automaticAxesAndMemory() {
        #expect(FlatIndex.automaticBoundAxes(dims: 784) == 64)
        #expect(FlatIndex.automaticBoundAxes(dims: 256) == 16 && FlatIndex.automaticBoundAxes(dims: 210) == 16)
        #expect(FlatIndex.automaticBoundAxes(dims: 200) == 0)
        #expect(FlatIndex.automaticBoundAxes(dims: 30) == 0 && FlatIndex.automaticBoundAxes(dims: 4096) == 0)
        var rng = SeededRNG(seed: 4)
        // d = 210 is the tightest case: 16 axes, 20 floats a row beside 210.
        let base = Self.matrix(FlatIndex.boundMinimumRows, 210) { rng.uniform() }
        let index = FlatIndex(base)
        #expect(index.bound?.axisCount == 16)
        #expect(Double(index.overheadBytes) <= 0.10 * Double(base.count * 4))
        #expect(FlatIndex(base, boundAxes: 0).bound == nil && FlatIndex(base.rows(in: 0..<100)).bound == nil)
        #expect(FlatIndex(base, metric: .innerProduct).bound == nil)
    }

    /// Real Fashion-MNIST pixels, the case the bound is for: 60k × 784, automatic axes.
    @Test(
        .enabled(
            if: FileManager.default.fileExists(
                atPath: Dataset.fashionMNISTDefaultDirectory + "/t10k-images-idx3-ubyte.gz")))
    func fashionMNISTPixels() throws {
        let train = try Dataset.load("fashion-mnist", split: .train)
        let test = try Dataset.load("fashion-mnist", split: .test)
        let index = FlatIndex(train.features)
        #expect(index.bound?.axisCount == 64)
        expectExact(index, train.features, test.features.rows(in: 0..<64), k: 10, oracle: false)
    }
}
