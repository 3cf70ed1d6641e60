import Foundation
import Testing
@testable import VicinityStore

/// A store's canonical form depends on its contents only: the same items written in one
/// transaction or one by one (with a replaced record, attributes and short-code addresses) give
/// byte-identical files, rows renumbered in id byte order; a snapshot is that form with its rows
/// kept; rewriting needs the store to itself; disjoint stores unite into the one file.
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

        let snapshotPath = temporaryStorePath(), renumberedPath = temporaryStorePath()
        defer { for p in [snapshotPath, renumberedPath] { try? FileManager.default.removeItem(atPath: p) } }
        try many.writeCanonicalCopy(to: snapshotPath)
        try many.writeCanonicalCopy(to: renumberedPath, renumberRows: true)
        #expect(throws: StoreError.self) { try many.writeCanonicalCopy(to: snapshotPath) }

        #expect(try one.rewriteCanonically())
        #expect(try many.rewriteCanonically())
        #expect(try dataFile(one.path) == dataFile(many.path))
        #expect(try dataFile(renumberedPath) == dataFile(many.path))
        // A snapshot keeps the rows (item-10 was written after item-9, so rows are not in id order).
        #expect(try dataFile(snapshotPath) != dataFile(many.path))
        let snapshot = try CodeStore(path: snapshotPath, access: .readOnly).snapshot()
        #expect(snapshot.ids == before.ids && snapshot.codes.storage == before.codes.storage)
        // The old handle is retired; the rewritten store holds the same items, rows in id byte
        // order, and checks clean.
        #expect(throws: LMDBError.self) { try many.count() }
        let reopened = try CodeStore(path: many.path)
        let after = try reopened.snapshot()
        let order = before.ids.indices.sorted { before.ids[$0].utf8.lexicographicallyPrecedes(before.ids[$1].utf8) }
        #expect(after.ids == order.map { before.ids[$0] } && after.labels == order.map { before.labels[$0] })
        #expect(after.bits == order.map { before.bits[$0] })
        #expect(after.codes.storage.map(\.bitPattern) == order.flatMap { before.codes.row($0).map(\.bitPattern) })
        #expect(try reopened.row(of: "item-10") == 2 && reopened.id(atRow: 0) == "item-0")
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

    @Test func disjointStoresUniteIntoTheStoreThatHoldsThemAll() throws {
        let items = (0..<700).map { item($0, dims: 4, words: 1, bits: 12) }
        let all = try makeStore(dims: 4, bits: 12)
        let parts = try (0..<3).map { _ in try makeStore(dims: 4, bits: 12) }
        let out = temporaryStorePath()
        defer { for p in [all.path, out] + parts.map(\.path) { try? FileManager.default.removeItem(atPath: p) } }
        // Parts of any make-up and write order; 12-bit codes, so addr keys repeat across parts.
        try all.put(items.reversed())
        for (i, it) in items.enumerated() { try parts[(i * 7 / 5) % 3].put([it]) }
        try all.setAttributes(of: "item-5", "{\"a\":1}")
        try parts[(5 * 7 / 5) % 3].setAttributes(of: "item-5", "{\"a\":1}")
        for p in [all] + parts { try p.setMeta("model", "m.safetensors") }
        #expect(try CodeStore.writeCanonicalUnion(of: parts, meta: ["model": "m.safetensors"], to: out) == 700)
        #expect(try all.rewriteCanonically())
        #expect(try dataFile(out) == dataFile(all.path))
        #expect(try CodeStore(path: out, access: .readOnly).checkConsistency().isEmpty)

        // An id in two stores, or another code size, is refused before anything is written.
        try parts[0].put([items[1]])
        let twice = temporaryStorePath()
        let error = try #require(throws: StoreError.self) {
            try CodeStore.writeCanonicalUnion(of: parts, meta: [:], to: twice)
        }
        #expect("\(error)".contains("id \"item-1\" is also in"), "\(error)")
        #expect(!FileManager.default.fileExists(atPath: twice + "/data.mdb"))
        let other = try makeStore(dims: 5)
        defer { try? FileManager.default.removeItem(atPath: other.path) }
        #expect(throws: StoreError.self) {
            try CodeStore.writeCanonicalUnion(of: [parts[1], other], meta: [:], to: twice)
        }
        #expect(throws: StoreError.self) { try CodeStore.writeCanonicalUnion(of: parts, meta: [:], to: out) }
    }

    /// A canonical write commits every `pairsPerCommit` pairs (bounded memory at any size): with
    /// many small commits the copy holds exactly the items, checks clean, and two copies of the same
    /// contents are the same bytes; the file differs from a one-commit copy, so the cuts happened.
    @Test func manyCommitsGiveTheSameContentsAndTheSameBytes() throws {
        let store = try makeStore(dims: 5, bits: 20)
        let chunked = temporaryStorePath(), again = temporaryStorePath(), whole = temporaryStorePath()
        defer { for p in [store.path, chunked, again, whole] { try? FileManager.default.removeItem(atPath: p) } }
        try store.put((0..<2500).map { item($0, dims: 5, words: 1, bits: 20) })
        try store.setAttributes(of: "item-7", "{\"a\":2}")
        try store.writeCanonicalCopy(to: chunked, renumberRows: true, pairsPerCommit: 97)
        try store.writeCanonicalCopy(to: again, renumberRows: true, pairsPerCommit: 97)
        try store.writeCanonicalCopy(to: whole, renumberRows: true, pairsPerCommit: Int.max)
        #expect(try dataFile(chunked) == dataFile(again))
        #expect(try dataFile(chunked) != dataFile(whole))
        let (a, b) = (try CodeStore(path: chunked, access: .readOnly), try CodeStore(path: whole, access: .readOnly))
        let (x, y) = (try a.snapshot(), try b.snapshot())
        #expect(x.ids == y.ids && x.labels == y.labels && x.bits == y.bits)
        #expect(x.codes.storage.map(\.bitPattern) == y.codes.storage.map(\.bitPattern))
        #expect(try a.attributes(of: "item-7") == "{\"a\":2}")
        #expect(try a.checkConsistency().isEmpty)
    }
}
