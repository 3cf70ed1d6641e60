import Foundation
import VicinityCodes
import VicinityMath
import VicinitySearch
import VicinityStore

/// The indexes a start builds from the store's rows.
struct LoadedIndexes {
    var hamming: GroupedHammingIndex?
    var ids: IDTable
    var attributes: [Int32: [String: FilterValue]]
    var codes: ClusteredFlatIndex
    var savedClustering: Bool
    /// Seconds each build took; they overlap.
    var timings: [(String, Double)]

    /// Builds the HAMMING index and the id table on one core and the KNN index on the other:
    /// they do not depend on each other, and at 10M rows each took seconds one after the other.
    static func build(
        _ snapshot: StoreSnapshot, bits: BinaryCodes?, attributes stored: [String: String], saved: [UInt8]?
    ) -> LoadedIndexes {
        let hammingSide = UnsafeMutablePointer<
            (GroupedHammingIndex?, IDTable, [Int32: [String: FilterValue]], Double, Double)?
        >
        .allocate(capacity: 1)
        let knnSide = UnsafeMutablePointer<(ClusteredFlatIndex, Bool, Double)?>.allocate(capacity: 1)
        hammingSide.initialize(to: nil)
        knnSide.initialize(to: nil)
        defer {
            hammingSide.deinitialize(count: 1)
            hammingSide.deallocate()
            knnSide.deinitialize(count: 1)
            knnSide.deallocate()
        }
        let shared = UnsafeSendable((snapshot, bits, stored, saved, hammingSide, knnSide))
        // Each side writes only its own slot, read after both have finished.
        parallelFor(2) { side in
            let (snapshot, bits, stored, saved, hammingSide, knnSide) = shared.value
            let start = Date()
            if side == 0 {
                // Each distinct code is checked once (learned heads give thousands of items one code).
                // Codes of at most 32 bits are addresses (semantic hashing): one table over the whole
                // code, so RADIUS r enumerates the Hamming ball and reads only the rows stored there.
                let hamming = bits.map { GroupedHammingIndex($0, substrings: $0.bits <= 32 ? 1 : nil) }
                let built = Date()
                let ids = IDTable(snapshot.ids)
                var attributes: [Int32: [String: FilterValue]] = [:]
                for (id, json) in stored {
                    if let row = ids.row(of: id) { attributes[Int32(row)] = parseAttributes(json) }
                }
                hammingSide.pointee = (
                    hamming, ids, attributes, built.timeIntervalSince(start), Date().timeIntervalSince(built)
                )
            } else {
                // The clustering `vicinity embed` saved, when no write came since; else k-means now.
                let read = saved.flatMap { ClusteredFlatIndex(snapshot.codes, saved: $0) }
                knnSide.pointee = (
                    read ?? ClusteredFlatIndex(snapshot.codes), read != nil, Date().timeIntervalSince(start)
                )
            }
        }
        let (hamming, ids, attributes, hammingSeconds, idSeconds) = hammingSide.pointee!
        let (codes, savedClustering, knnSeconds) = knnSide.pointee!
        return LoadedIndexes(
            hamming: hamming, ids: ids, attributes: attributes, codes: codes, savedClustering: savedClustering,
            timings: [
                ("load_hamming_index_seconds", hammingSeconds), ("load_ids_seconds", idSeconds),
                ("load_knn_index_seconds", knnSeconds),
            ])
    }
}
