import Foundation
import VicinitySearch
import VicinityStore

/// The name under which a store keeps its KNN clustering (`CodeStore.saveIndex`).
public let knnIndexName = "knn-clusters"

/// Saves the store's KNN clustering (k-means on a sample, then one pass over the
/// codes a chunk at a time, in bounded memory), so a server starts without running k-means over
/// every row. Returns the seconds it took.
@discardableResult
public func saveSearchIndexes(_ store: CodeStore) throws -> Double {
    let started = Date()
    guard let meta = try store.meta(), meta.count > 0 else { return 0 }
    let bytes = try ClusteredFlatIndex.savedClustering(
        count: meta.count, dims: meta.codeDims, rows: { try store.codes(ofRows: $0) },
        scan: { each in try store.forEachCodeChunk(1 << 16) { each($0, $1) } })
    try store.saveIndex(knnIndexName, bytes)
    return Date().timeIntervalSince(started)
}
