import Foundation
import Testing
import VicinityCodes
import VicinityData
import VicinityMath
@testable import VicinityPipeline
import VicinitySearch
import VicinityServer
import VicinityStore

/// At a million items (perturbed Fashion-MNIST through the default model): the served KNN,
/// HAMMING and RADIUS equal a full scan of the store's own codes on 200 queries, before and
/// after 1,000 mixed ADD and DEL — the scale issue's exactness check.
@Suite struct MillionItemTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..")

    @Test func servedAnswersEqualAScanAtAMillionItems() throws {
        let dir = try TempDir()
        let model = Self.root.appendingPathComponent("models/default.safetensors").standardizedFileURL.path
        let store = dir.path("million")
        _ = try EmbedJob(
            EmbedConfiguration(
                input: .perturbed("fashion-mnist", count: 1_000_000, seed: 1), model: model, store: store)
        ).run(reporter: SilentReporter())
        let engine = try StoreEngine(storePath: store, modelPath: model, readOnly: false)
        #expect(engine.count() == 1_000_000)
        #expect(engine.info().contains { $0 == ("knn_clusters_saved", "true") })
        let others = PerturbedImages(base: try Dataset.load("fashion-mnist", split: .test), count: 600, seed: 2)
        try expectExact(engine, others, queries: 0..<100)

        var rng = SeededRNG(seed: 3)
        var deleted = Set<Int>()
        for step in 0..<1000 {
            if step % 2 == 0 {
                let image = others.items((100 + step / 2)..<(101 + step / 2), name: "added")
                try engine.add(id: "added-\(step)", label: image.labels[0], pixels: image.features.storage)
            } else {
                var item = rng.below(1_000_000)
                while !deleted.insert(item).inserted { item = rng.below(1_000_000) }
                #expect(try engine.delete(String(format: "p%08d", item)))
            }
        }
        #expect(engine.count() == 1_000_000)
        try expectExact(engine, others, queries: 0..<100)
    }

    /// 100 items of the store (by id and by row) and 100 images from outside it (RAW) against
    /// a direct scan of the store's codes and bits as they are now; ties ordered by row.
    func expectExact(_ engine: StoreEngine, _ others: PerturbedImages, queries: Range<Int>) throws {
        let snapshot = try engine.store.snapshot()
        let flat = FlatIndex(snapshot.codes)
        let bits = BruteForceHamming(try BinaryCodes(bits: snapshot.meta.bits, words: snapshot.bits))
        var rng = SeededRNG(seed: UInt64(snapshot.ids.count))
        func ids(_ hits: [Neighbor]) -> [String] { hits.map { snapshot.ids[$0.index] } }
        for _ in queries {
            let row = rng.below(snapshot.ids.count)
            let id = snapshot.ids[row]
            #expect(
                try engine.knn(k: 10, query: .id(id)).map(\.id) == ids(flat.searchOne(snapshot.codes.row(row), k: 10)))
            let code = bits.codes.codes([row])
            #expect(try engine.hamming(k: 10, query: .row(row)).map(\.id) == ids(bits.search(code, k: 10)[0]))
            #expect(try engine.radius(6, query: .id(id)).map(\.id) == ids(bits.search(code, radius: 6)[0]))
        }
        let images = others.items(queries, name: "queries")
        let encoder = try #require(engine.encoder)
        for q in queries {
            let pixels = images.features.row(q - queries.lowerBound)
            let code = encoder.encode(Matrix(rows: 1, cols: pixels.count, storage: pixels)).codes.row(0)
            #expect(try engine.knn(k: 10, query: .raw(pixels)).map(\.id) == ids(flat.searchOne(code, k: 10)))
        }
    }
}
