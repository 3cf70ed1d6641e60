import Foundation
import Testing
import VicinityMath
import VicinityServer
import VicinityStore

/// A store written before the KNN clustering was saved with it (no `index` database) starts as
/// it did, building the clustering; a writable server then saves it, and the next start reads it
/// and answers the same.
@Suite struct StoreUpgradeTests {
    @Test func aStoreWithoutASavedClusteringStartsAndThenHasOne() throws {
        let path = temporaryPath("vicinity-upgrade")
        var rng = SeededRNG(seed: 8)
        do {
            let store = try CodeStore(path: path, create: true)
            try store.configure(modelFingerprint: "00000000000000aa", codeDims: 4, bits: 0)
            try store.put((0..<3000).map { StoredItem(id: "old-\($0)", label: $0 % 5, code: rng.uniforms(4)) })
        }
        func saved(_ engine: StoreEngine) -> Bool { engine.info().contains { $0 == ("knn_clusters_saved", "true") } }
        let queries = (0..<20).map { _ in VectorQuery.vector(rng.uniforms(4)) }

        // One engine at a time: each is closed before the next opens the store.
        let before: [[Hit]] = try {
            let readOnly = try StoreEngine(storePath: path, modelPath: nil, readOnly: true)
            #expect(!saved(readOnly) && readOnly.count() == 3000)
            return try queries.map { try readOnly.knn(k: 10, query: $0) }
        }()
        try {
            let first = try StoreEngine(storePath: path, modelPath: nil, readOnly: false)
            #expect(!saved(first))
            #expect(try queries.map { try first.knn(k: 10, query: $0) } == before)
        }()
        let second = try StoreEngine(storePath: path, modelPath: nil, readOnly: true)
        #expect(saved(second))
        #expect(try queries.map { try second.knn(k: 10, query: $0) } == before)
    }
}
