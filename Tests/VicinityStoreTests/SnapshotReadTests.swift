import Foundation
import Testing
import VicinityMath
@testable import VicinityStore

/// A store read in two halves, each in its own transaction on its own core, against one pass.
@Suite struct SnapshotReadTests {
    /// Rows that are not in key order (ids item-N sort as text, and deletes move the last row),
    /// so each half places rows all over the columns.
    func storeWithMovedRows() throws -> (CodeStore, [String]) {
        let store = try makeStore(dims: 5, bits: 70)
        try store.put((0..<3000).map { item($0, dims: 5, words: 2, bits: 70) })
        let gone = stride(from: 0, to: 3000, by: 7).map { "item-\($0)" }
        try store.delete(gone)
        return (store, gone)
    }

    @Test func halvesGiveTheSameSnapshotAsOnePass() throws {
        let (store, gone) = try storeWithMovedRows()
        let whole = try store.snapshot(halvingFrom: .max)
        let halves = try store.snapshot(halvingFrom: 1)
        #expect(whole.count == 3000 - gone.count)
        #expect(Set(whole.ids) == Set((0..<3000).map { "item-\($0)" }).subtracting(gone))
        #expect(halves.ids == whole.ids)
        #expect(halves.labels == whole.labels)
        #expect(halves.codes.storage == whole.codes.storage)
        #expect(halves.bits == whole.bits)
        for (r, id) in halves.ids.enumerated() {
            let stored = try #require(try store.get(id))
            #expect(Array(halves.codes.row(r)) == stored.code)
            #expect(try store.row(of: id) == r)
        }
    }

    @Test func aRowClaimedInBothHalvesIsAnErrorNotARace() throws {
        let (store, _) = try storeWithMovedRows()
        let snap = try store.snapshot(halvingFrom: .max)
        // The id at row 0 and one far above the middle key now both claim row 0.
        let (low, high) = (snap.ids.min()!, snap.ids.max()!)
        let record = ItemRecord.encode(
            row: UInt32(try #require(try store.row(of: low))), label: 0, code: [0, 0, 0, 0, 0], bits: [0, 0],
            source: "")
        try store.env.write { txn in
            try Array(high.utf8).withUnsafeBytes { k in
                try record.withUnsafeBytes { try txn.put(store.itemsDB, k, $0) }
            }
        }
        for halving in [1, Int.max] {
            #expect {
                try store.snapshot(halvingFrom: halving)
            } throws: {
                "\($0)".contains("row taken twice")
            }
        }
    }
}
