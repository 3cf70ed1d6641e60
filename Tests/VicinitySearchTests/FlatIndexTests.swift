import Testing
import VicinityMath
@testable import VicinitySearch

/// Brute force in Double, sorted by (distance, row): the oracle.
func bruteForce(_ base: Matrix, _ query: [Float], k: Int, metric: Metric) -> [Int] {
    let scored = (0..<base.rows).map { i -> (Double, Int) in
        var s = 0.0
        for j in 0..<base.cols {
            let x = Double(base[i, j]), q = Double(query[j])
            s += metric == .l2 ? (x - q) * (x - q) : -x * q
        }
        return (s, i)
    }
    return scored.sorted { $0 < $1 }.prefix(k).map(\.1)
}

@Suite struct FlatIndexTests {
    @Test(arguments: [(0, 3), (1, 3), (10, 1), (100, 30), (3000, 17), (9000, 5)])
    func matchesBruteForce(count: Int, dims: Int) {
        var rng = SeededRNG(seed: UInt64(count * 31 + dims))
        // Integer-valued coordinates give exact distances, so ties are real ties.
        let base = Matrix(rows: count, cols: dims, storage: (0..<count * dims).map { _ in Float(rng.below(4)) })
        let queries = Matrix(rows: 20, cols: dims, storage: (0..<20 * dims).map { _ in Float(rng.below(4)) })
        for metric in Metric.allCases {
            let index = FlatIndex(base, metric: metric)
            for k in [1, 10, count + 5] {
                let got = index.search(queries, k: k)
                for q in 0..<queries.rows {
                    #expect(got[q].map(\.index) == bruteForce(base, queries.row(q), k: k, metric: metric))
                }
            }
        }
    }

    /// The sgemm path rescored: every query's answer, distances included, is bit-identical to a
    /// single-query scan whatever the batch — what lets knn_eval.py agree exactly with `vicinity eval`.
    @Test(arguments: [1e-2, 1e-4])
    func batchedAnswersEqualSingleQueryAnswers(spread: Float) {
        var rng = SeededRNG(seed: 77)
        let (count, dims) = (6000, 30)
        // Tight clusters: at 1e-4 rounding of the norm expansion decides ranks, and only the
        // direct-scan fallback can answer exactly.
        let centres = (0..<50 * dims).map { _ in rng.uniform() * 4 - 2 }
        func point(_ i: Int) -> Float { centres[(i / dims % 50) * dims + i % dims] + spread * (rng.uniform() - 0.5) }
        let base = Matrix(rows: count, cols: dims, storage: (0..<count * dims).map(point))
        let queries = Matrix(rows: 40, cols: dims, storage: (0..<40 * dims).map(point))
        for metric in Metric.allCases {
            let index = FlatIndex(base, metric: metric)
            let batched = index.search(queries, k: 10)
            for q in 0..<queries.rows {
                #expect(batched[q] == index.searchOne(queries.row(q), k: 10))
            }
        }
    }

    @Test func duplicatesAndIncrementalAdd() {
        let row: [Float] = [1, 2, 3]
        var index = FlatIndex(dims: 3)
        index.add(Matrix(rows: 2, cols: 3, storage: row + row))
        index.add(Matrix(rows: 1, cols: 3, storage: [0, 0, 0]))
        let hits = index.search(Matrix(rows: 1, cols: 3, storage: row), k: 3)[0]
        #expect(hits.map(\.index) == [0, 1, 2])
        #expect(hits[0].distance == 0 && hits[1].distance == 0 && hits[2].distance == 14)
    }
}

@Suite struct FlatIndexPathTests {
    /// The direct single-query path and the sgemm batch path agree with each other and with the oracle.
    @Test(arguments: [1, 7, 16, 33, 200])
    func directAndBatchedPathsAgree(dims: Int) {
        var rng = SeededRNG(seed: UInt64(dims))
        let base = Matrix(rows: 3000, cols: dims, storage: (0..<3000 * dims).map { _ in Float(rng.below(3)) })
        let queries = Matrix(rows: 40, cols: dims, storage: (0..<40 * dims).map { _ in Float(rng.below(3)) })
        let index = FlatIndex(base)
        let batched = index.search(queries, k: 7)
        for q in 0..<queries.rows {
            let direct = index.searchOne(queries.row(q), k: 7)
            #expect(direct.map(\.index) == batched[q].map(\.index))
            #expect(direct.map(\.index) == bruteForce(base, queries.row(q), k: 7, metric: .l2))
        }
    }
}

@Suite struct FlatIndexRemovalTests {
    /// After removals (the last row moves into each hole, as in the store) the index
    /// answers exactly like an oracle over the rows that remain, in their new order.
    @Test func removedItemsNeverComeBack() {
        var rng = SeededRNG(seed: 77)
        var rows = (0..<300).map { _ in (0..<6).map { _ in Float(rng.below(4)) } }
        var index = FlatIndex(Matrix(rows: 300, cols: 6, storage: rows.flatMap { $0 }))
        for _ in 0..<120 {
            let r = rng.below(rows.count)
            index.removeSwappingLast(r)
            rows[r] = rows[rows.count - 1]
            rows.removeLast()
        }
        #expect(index.count == 180)
        let base = Matrix(rows: rows.count, cols: 6, storage: rows.flatMap { $0 })
        let queries = Matrix(rows: 25, cols: 6, storage: (0..<150).map { _ in Float(rng.below(4)) })
        let batched = index.search(queries, k: 9)
        for q in 0..<25 {
            #expect(batched[q].map(\.index) == bruteForce(base, queries.row(q), k: 9, metric: .l2))
            #expect(index.searchOne(queries.row(q), k: 9).map(\.index) == batched[q].map(\.index))
        }
    }
}
