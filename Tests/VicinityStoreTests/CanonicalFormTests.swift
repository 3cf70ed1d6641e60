import Foundation
import Testing
@testable import VicinityStore

/// A store's canonical form depends on its contents only: the same items written in one
/// transaction or one by one (with a replaced record, attributes and short-code addresses) give
/// byte-identical files; a snapshot is that form too; rewriting needs the store to itself.
@Suite struct CanonicalFormTests {
    func dataFile(_ path: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: (path as NSString).appendingPathComponent("data.mdb")))
    }

    @Test func sameContentsGiveSameBytes() throws {
        let items = (0..<3000).map { item($0, dims: 6, words: 1, bits: 20) }
        let one = try makeStore(dims: 6, bits: 20)
        let many = try makeStore(dims: 6, bits: 20)
        defer { for s in [one, many] { try? FileManager.default.removeItem(atPath: s.path) } }
        try one.put(items)
        for i in items { try many.put([i]) }
        // A replaced record and attributes, written in different transactions.
        var changed = items[17]
        changed.code[0] = 99
        try many.put([changed])
        try many.setAttributes(of: "item-5", "{\"year\":1950}")
        try one.put([changed])
        try one.setAttributes(of: "item-5", "{\"year\":1950}")
        #expect(try dataFile(one.path) != dataFile(many.path), "the transaction history should show before the rewrite")
        let before = try many.snapshot()

        let snapshotPath = temporaryStorePath()
        defer { try? FileManager.default.removeItem(atPath: snapshotPath) }
        try many.writeCanonicalCopy(to: snapshotPath)
        #expect(throws: StoreError.self) { try many.writeCanonicalCopy(to: snapshotPath) }

        #expect(try one.rewriteCanonically())
        #expect(try many.rewriteCanonically())
        #expect(try dataFile(one.path) == dataFile(many.path))
        #expect(try dataFile(snapshotPath) == dataFile(many.path))
        // The old handle is retired; the rewritten store reads back as before and checks clean.
        #expect(throws: LMDBError.self) { try many.count() }
        let reopened = try CodeStore(path: many.path)
        let after = try reopened.snapshot()
        #expect(after.ids == before.ids && after.labels == before.labels && after.bits == before.bits)
        #expect(after.codes.storage.map(\.bitPattern) == before.codes.storage.map(\.bitPattern))
        #expect(try reopened.attributes(of: "item-5") == "{\"year\":1950}")
        #expect(try reopened.ids(atAddress: CodeStore.address(of: changed.bits, bitCount: 20)).contains("item-17"))
        #expect(try reopened.checkConsistency().isEmpty)
        // And it takes writes again.
        try reopened.put([item(5000, dims: 6, words: 1, bits: 20)])
        #expect(try reopened.count() == 3001)
    }

    @Test func rewritingNeedsTheStoreToItself() throws {
        let store = try makeStore(dims: 3)
        defer { try? FileManager.default.removeItem(atPath: store.path) }
        try store.put((0..<10).map { item($0) })
        let bytes = try dataFile(store.path)
        do {
            let reader = try CodeStore(path: store.path, access: .readOnly)
            #expect(try !store.rewriteCanonically())
            #expect(try reader.count() == 10 && store.count() == 10)  // both still work
        }
        #expect(try dataFile(store.path) == bytes)
        #expect(try store.rewriteCanonically())
    }
}
