import Testing
import VicinityCodes
import VicinityMath
import VicinitySearch

@testable import VicinityMilvus

/// Settling against brute force: a simulated search that behaves as Milvus was measured to —
/// distances off Vicinity's by up to a few 1e-7 relative, ties in any order, `limit` capped,
/// range searches with an exclusive radius and inclusive filter — must still give exactly the
/// local engine's answer: Vicinity's distances, ordered by (distance, row).
@Suite struct SettleTests {
    struct Base {
        var vectors: [[Float]]
        var ids: [String] { vectors.indices.map { "item-\($0)" } }

        func exact(_ q: [Float], _ row: Int) -> Float {
            q.withUnsafeBufferPointer { a in
                vectors[row].withUnsafeBufferPointer { b in Kernels.squaredL2(a.baseAddress!, b.baseAddress!, q.count) }
            }
        }

        /// Milvus as measured: its own rounding, no tie order, `limit` at most.
        func search(
            _ q: [Float], limit: Int, range: (radius: Float, filter: Float?)?, rng: inout SeededRNG, calls: inout Int
        )
            -> [MilvusHit]
        {
            calls += 1
            var hits = vectors.indices.map { row in
                let wobble = 1 + Float(Int(rng.below(7)) - 3) * 1e-7
                return MilvusHit(
                    id: ids[row], distance: exact(q, row) * wobble, row: row, label: row % 10, vector: vectors[row])
            }
            if let range { hits = hits.filter { $0.distance < range.radius && $0.distance >= (range.filter ?? 0) } }
            hits.shuffle(using: &rng)
            hits.sort { $0.distance < $1.distance }  // stable on shuffled input: ties in random order
            return Array(hits.prefix(limit))
        }

        /// The local engine's answer.
        func expected(_ q: [Float], k: Int, excluding: Int?) -> [(String, Float, Int)] {
            let rows = vectors.indices.filter { $0 != excluding }
            return rows.map { (ids[$0], exact(q, $0), $0) }.sorted { ($0.1, $0.2) < ($1.1, $1.2) }.prefix(k).map { $0 }
        }
    }

    /// Small integer coordinates make many exact ties, a quarter of the rows one vector (more ties
    /// than a first search holds), and random-valued rows make rounding matter.
    static func base(_ count: Int, dims: Int, seed: UInt64) -> Base {
        var rng = SeededRNG(seed: seed)
        return Base(
            vectors: (0..<count).map { i in
                (0..<dims).map { _ in i % 4 == 0 ? 0 : i % 5 == 0 ? rng.uniform() * 2 : Float(rng.below(2)) }
            })
    }

    @Test(arguments: [1, 5, 10, 40])
    func knnEqualsBruteForce(k: Int) throws {
        let base = Self.base(300, dims: 4, seed: UInt64(k))
        var rng = SeededRNG(seed: 99)
        var rangeSearches = 0, rawDiffers = 0
        for queryRow in stride(from: 0, to: 300, by: 9) {
            let q = base.vectors[queryRow]
            for noSelf in [false, true] {
                var calls = 0
                let got = try Settle.knn(k: k, excluding: noSelf ? base.ids[queryRow] : nil, cap: 16_384) {
                    limit, range in
                    base.search(q, limit: limit, range: range, rng: &rng, calls: &calls)
                } distance: {
                    base.exact(q, $0.row)
                }
                let want = base.expected(q, k: k, excluding: noSelf ? queryRow : nil)
                #expect(
                    got.map { [$0.id, "\($0.distance.bitPattern)", "\($0.row)"] }
                        == want.map { [$0.0, "\($0.1.bitPattern)", "\($0.2)"] })
                rangeSearches += calls - 1
                var ignored = 0
                let raw = base.search(q, limit: k, range: nil, rng: &rng, calls: &ignored)
                if raw.map(\.row) != want.map(\.2) || noSelf { rawDiffers += 1 }
            }
        }
        // The data is hard: Milvus's own top k is often not the answer, and ties need range searches.
        #expect(rawDiffers > 10)
        #expect(rangeSearches > 0)
    }

    @Test(arguments: [1, 3, 10, 100])
    func hammingEqualsBruteForce(k: Int) throws {
        var rng = SeededRNG(seed: UInt64(7 + k))
        let codes = (0..<800).map { _ in UInt64(rng.below(1 << 12)) }
        func hamming(_ a: UInt64, _ b: UInt64) -> Float { Float((a ^ b).nonzeroBitCount) }
        for queryRow in stride(from: 0, to: 800, by: 13) {
            let q = codes[queryRow]
            let search: Settle.Search = { limit, range in
                var hits = codes.indices.map {
                    MilvusHit(id: "b\($0)", distance: hamming(q, codes[$0]), row: $0, label: 0)
                }
                if let range { hits = hits.filter { $0.distance < range.radius && $0.distance >= (range.filter ?? 0) } }
                hits.shuffle(using: &rng)
                hits.sort { $0.distance < $1.distance }
                return Array(hits.prefix(limit))
            }
            let got = try Settle.hamming(k: k, excluding: "b\(queryRow)", cap: 16_384, search: search)
            let want = codes.indices.filter { $0 != queryRow }.sorted {
                (hamming(q, codes[$0]), $0) < (hamming(q, codes[$1]), $1)
            }.prefix(k)
            #expect(got.map(\.row) == Array(want))
            #expect(got.map(\.distance) == want.map { hamming(q, codes[$0]) })
        }
    }

    /// More tied items than one Milvus search returns: refused, never a wrong answer.
    @Test func tiesBeyondTheCapAreRefused() {
        let search: Settle.Search = { limit, _ in
            (0..<limit).map { MilvusHit(id: "t\($0)", distance: 2, row: $0, label: 0) }
        }
        #expect(throws: SettleError.self) { try Settle.hamming(k: 3, excluding: nil, cap: 50, search: search) }
        #expect(throws: SettleError.self) {
            try Settle.knn(k: 3, excluding: nil, cap: 50, search: search) { $0.distance }
        }
    }

    /// When the first search reaches past the bound, it is the only one.
    @Test func oneSearchWhenTheFirstReachesPastTheBound() throws {
        var calls = 0
        let hits = try Settle.knn(k: 2, excluding: nil, cap: 100) { limit, range in
            calls += 1
            #expect(range == nil && limit == Settle.firstLimit(2, cap: 100))
            return (0..<limit).map { MilvusHit(id: "r\($0)", distance: Float($0), row: 100 - $0, label: 0) }
        } distance: {
            $0.distance
        }
        #expect(calls == 1 && hits.map(\.id) == ["r0", "r1"])
    }
}
