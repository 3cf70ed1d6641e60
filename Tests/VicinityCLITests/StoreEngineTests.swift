import Foundation
import Testing
import VicinityServer

/// The served indexes (cluster-pruned KNN, multi-index HAMMING/RADIUS) stay exact
/// through a long run of ADD and DEL, checked against brute force over what GET returns.
@Suite struct StoreEngineTests {
    @Test func answersStayExactThroughAddsAndDeletes() throws {
        let fixture = try ServedStore()
        let engine = try StoreEngine(storePath: fixture.store, modelPath: fixture.model, readOnly: false)
        var live = (0..<300).map { "train-\($0)" }
        var state: UInt64 = 17
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407; return Int(state >> 33) % n
        }
        for step in 0..<60 {
            if step % 3 == 2 {
                let id = live.remove(at: next(live.count))
                #expect(try engine.delete(id))
            } else {
                let pixels = fixture.test[next(fixture.test.count)].map { Float($0) / 255 }
                try engine.add(id: "added-\(step)", label: step % 10, pixels: pixels)
                live.append("added-\(step)")
            }
            #expect(engine.count() == live.count)
            let items = try live.map { try #require(try engine.get($0)) }
            let probe = items[next(items.count)]
            try expectSameRanking(engine.knn(k: 10, query: .id(probe.id)), items) { x in
                zip(x.code, probe.code).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
            }
            try expectSameRanking(engine.hamming(k: 10, query: .id(probe.id)), items) { x in
                Double(hammingDistance(x.bitsHex, probe.bitsHex))
            }
            let ball = try engine.radius(3, query: .id(probe.id))
            #expect(
                Set(ball.map(\.id)) == Set(items.filter { hammingDistance($0.bitsHex, probe.bitsHex) <= 3 }.map(\.id)))
        }
    }

    /// The k hits have the k smallest distances, and every item strictly nearer
    /// than the k-th is among them (which items fill a tie is a convention).
    func expectSameRanking(_ hits: [Hit], _ items: [ItemView], distance: (ItemView) -> Double) {
        let exact = items.map(distance).sorted()
        #expect(hits.count == min(10, items.count))
        for (hit, d) in zip(hits, exact) { #expect(abs(Double(hit.distance) - d) <= 1e-4 * max(1, d)) }
        guard let kth = hits.last.map({ Double($0.distance) }) else { return }
        let nearer = Set(items.filter { distance($0) < kth - 1e-4 * max(1, kth) }.map(\.id))
        #expect(nearer.isSubset(of: Set(hits.map(\.id))))
    }

    func hammingDistance(_ a: String, _ b: String) -> Int {
        zip(a, b).reduce(0) { $0 + (Int(String($1.0), radix: 16)! ^ Int(String($1.1), radix: 16)!).nonzeroBitCount }
    }
}
