import Foundation
import Testing
import VicinityMath
@testable import VicinityStore
import VicinityTestSupport

func temporaryStorePath() -> String { temporaryPath("vicinity-store") }

/// A configured store in a fresh folder.
func makeStore(dims: Int = 3, bits: Int = 0, mapSize: Int = CodeStore.defaultMapSize) throws -> CodeStore {
    let store = try CodeStore(path: temporaryStorePath(), create: true, mapSize: mapSize)
    try store.configure(modelFingerprint: "00000000000000aa", codeDims: dims, bits: bits)
    return store
}

func item(_ i: Int, dims: Int = 3, words: Int = 0, bits: Int = 64) -> StoredItem {
    let mask: UInt64 = bits >= 64 ? ~0 : (1 << UInt64(bits)) - 1
    return StoredItem(
        id: "item-\(i)", label: i % 7 - 1, code: (0..<dims).map { Float(i) + Float($0) / 8 },
        bits: (0..<words).map { w in (UInt64(i) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(w)) & (w == 0 ? mask : ~0) },
        source: "src/\(i).png")
}

final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}

final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: (any Error)?
    func set(_ e: any Error) { lock.lock(); stored = e; lock.unlock() }
    var error: (any Error)? { lock.lock(); defer { lock.unlock() }; return stored }
}

@Suite struct CodeStoreTests {
    @Test func recordsRoundTripEveryField() throws {
        var store = try makeStore(dims: 4, bits: 70)
        let items = [
            StoredItem(
                id: "a", label: 3, code: [1.5, -0.0, .greatestFiniteMagnitude, .leastNonzeroMagnitude],
                bits: [0xDEAD_BEEF_0123_4567, 0x3F], source: "dir/ü.png"),
            StoredItem(id: "ünïcødé-✓", label: -1, code: [.infinity, -.infinity, 0, 1e-30], bits: [0, 0], source: ""),
            StoredItem(
                id: String(repeating: "x", count: 255), label: Int(Int32.max), code: [1, 2, 3, 4],
                bits: [~0, 0x3F], source: String(repeating: "s", count: 1000)),
        ]
        try store.put(items)
        for it in items { #expect(try store.get(it.id) == it) }
        #expect(try store.get("missing") == nil)
        #expect(try store.count() == 3)
        let meta = try #require(try store.meta())
        #expect(meta.count == 3 && meta.codeDims == 4 && meta.bits == 70 && meta.schemaVersion == 1)
        #expect(meta.modelFingerprint == "00000000000000aa")
        // NaN survives bit for bit.
        try store.put([StoredItem(id: "nan", label: 0, code: [.nan, 0, 0, 0], bits: [1, 2])])
        #expect(try store.get("nan")!.code[0].isNaN)
        // Reopened read-only, everything is still there. (One environment per path per
        // process: LMDB's locks are per process, so the first handle goes first.)
        let path = store.path
        store = try makeStore()
        let reopened = try CodeStore(path: path, access: .readOnly)
        for it in items { #expect(try reopened.get(it.id) == it) }
        #expect(try reopened.checkConsistency() == [])
    }

    @Test func recordEncodingIsDocumentedLayout() {
        let bytes = ItemRecord.encode(row: 7, label: -2, code: [1], bits: [0x0102], source: "ab")
        #expect(bytes.count == 16 + 4 + 8 + 2)
        #expect(bytes[0] == 1)  // version
        #expect(bytes[2] == 1 && bytes[4] == 1 && bytes[6] == 2)  // D, W, S
        #expect(bytes[8] == 7)  // row
        #expect(Array(bytes[12..<16]) == [0xFE, 0xFF, 0xFF, 0xFF])  // label -2
        #expect(Array(bytes[16..<20]) == [0, 0, 0x80, 0x3F])  // 1.0f
        #expect(Array(bytes[20..<22]) == [0x02, 0x01])
        #expect(Array(bytes[28...]) == Array("ab".utf8))
        bytes.withUnsafeBytes { #expect(ItemRecord.header(UnsafeRawBufferPointer(rebasing: $0[0..<20])) == nil) }
        var bad = bytes
        bad[0] = 2
        bad.withUnsafeBytes { #expect(ItemRecord.header($0) == nil) }
    }

    @Test func snapshotPlacesItemsByRow() throws {
        let store = try makeStore(dims: 3, bits: 16)
        let items = (0..<500).map { item($0, words: 1, bits: 16) }
        try store.put(Array(items[0..<200]))
        try store.put(Array(items[200...]))
        let snap = try store.snapshot()
        #expect(snap.count == 500)
        #expect(snap.ids == items.map(\.id))
        #expect(snap.labels == items.map(\.label))
        #expect(snap.codes.storage == items.flatMap(\.code))
        #expect(snap.bits == items.flatMap(\.bits))
        #expect(try store.id(atRow: 123) == "item-123")
        #expect(try store.row(of: "item-321") == 321)
        #expect(try store.missing(["item-3", "nope", "item-499", "item-500"]) == [1, 3])
    }

    @Test func replacingKeepsRowAndCount() throws {
        let store = try makeStore(dims: 3, bits: 8)
        try store.put((0..<10).map { item($0, words: 1, bits: 8) })
        var changed = item(4, words: 1, bits: 8)
        changed.code = [9, 9, 9]
        changed.bits = [0xAB]
        try store.put([changed, changed])  // twice in one batch: still one item
        #expect(try store.count() == 10)
        #expect(try store.get("item-4") == changed)
        #expect(try store.row(of: "item-4") == 4)
        #expect(try store.ids(atAddress: 0xAB).contains("item-4"))
        #expect(try store.checkConsistency() == [])
    }

    @Test func deleteKeepsRowsDense() throws {
        let store = try makeStore(dims: 3, bits: 12)
        let items = (0..<50).map { item($0, words: 1, bits: 12) }
        try store.put(items)
        #expect(try store.delete("item-10"))
        #expect(try !store.delete("item-10"))
        #expect(try store.delete(["item-49", "item-0", "nope"]) == 2)
        #expect(try store.count() == 47)
        #expect(try store.meta()?.count == 47)
        #expect(try store.checkConsistency() == [])
        let snap = try store.snapshot()
        #expect(Set(snap.ids) == Set(items.map(\.id)).subtracting(["item-10", "item-49", "item-0"]))
        for (r, id) in snap.ids.enumerated() {
            let it = try #require(try store.get(id))
            #expect(Array(snap.codes.row(r)) == it.code)
            #expect(try store.row(of: id) == r)
        }
        // Deleting everything leaves an empty, consistent store.
        try store.delete(snap.ids)
        #expect(try store.count() == 0)
        #expect(try store.databaseEntries() == ["meta": 5, "items": 0, "rows": 0, "addr": 0])
    }

    @Test func addressesFindShortCodes() throws {
        let store = try makeStore(dims: 2, bits: 4)
        try store.put((0..<40).map { StoredItem(id: "i\($0)", label: 0, code: [0, 0], bits: [UInt64($0 % 16)]) })
        #expect(try store.ids(atAddress: 5) == ["i21", "i37", "i5"])
        #expect(try store.ids(atAddress: 99) == [])
        try store.delete("i21")
        #expect(try store.ids(atAddress: 5) == ["i37", "i5"])
        #expect(try store.checkConsistency() == [])
        // Longer codes keep no addresses.
        let wide = try makeStore(dims: 2, bits: 64)
        try wide.put([StoredItem(id: "w", label: 0, code: [0, 0], bits: [5])])
        #expect(try wide.databaseEntries()["addr"] == 0)
    }

    @Test(arguments: [
        "", "has space", "tab\there", "new\nline", "nul\u{0}", "bell\u{7}", "nbsp\u{A0}x",
        "zw\u{200B}sp", String(repeating: "é", count: 128),
    ])
    func invalidIDsAreRefused(_ id: String) throws {
        let store = try makeStore(dims: 1)
        #expect(throws: StoreError.self) { try store.put([StoredItem(id: id, label: 0, code: [1])]) }
        // The whole batch is refused, including its good items.
        #expect(throws: StoreError.self) {
            try store.put([StoredItem(id: "good", label: 0, code: [1]), StoredItem(id: id, label: 0, code: [1])])
        }
        #expect(try store.count() == 0)
    }

    @Test func invalidIDMessageIsClear() throws {
        let error = #expect(throws: StoreError.self) { try CodeStore.validateID("a b") }
        #expect(error?.description.contains("whitespace") == true)
        #expect(error?.description.contains("U+20") == true)
        try CodeStore.validateID("train-17")
        try CodeStore.validateID("3/img_001")
        try CodeStore.validateID("日本")
    }

    @Test func shapesAndConfigurationAreChecked() throws {
        let store = try CodeStore(path: temporaryStorePath(), create: true)
        #expect(try store.meta() == nil)
        #expect(throws: StoreError.notConfigured(path: store.path)) { try store.put([item(1)]) }
        try store.configure(modelFingerprint: "f1", codeDims: 3, bits: 0, extra: ["model": "m.safetensors"])
        #expect(try store.meta()?.extra["model"] == "m.safetensors")
        #expect(throws: StoreError.self) { try store.put([item(1, dims: 4)]) }
        #expect(throws: StoreError.self) { try store.put([item(1, words: 1)]) }
        try store.put([item(1)])
        // Same settings again is fine; another model is refused while items are there.
        try store.configure(modelFingerprint: "f1", codeDims: 3, bits: 0)
        #expect(throws: StoreError.self) { try store.configure(modelFingerprint: "f2", codeDims: 3, bits: 0) }
        try store.clear()
        #expect(try store.meta() == nil && store.count() == 0)
        try store.configure(modelFingerprint: "f2", codeDims: 5, bits: 0)
        #expect(try store.meta()?.modelFingerprint == "f2")
    }

    @Test func openingRefusesNonStores() throws {
        let path = temporaryStorePath()
        #expect(throws: StoreError.self) { try CodeStore(path: path) }
        #expect(throws: StoreError.self) { try CodeStore(path: path, access: .readOnly, create: true) }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        #expect(throws: StoreError.self) { try CodeStore(path: path, access: .readOnly) }
        let file = path + "/plain"
        _ = FileManager.default.createFile(atPath: file, contents: Data([1]))
        #expect(throws: StoreError.self) { try CodeStore(path: file, create: true) }
    }

    @Test func mapGrowsFromATinyMap() throws {
        var store = try makeStore(dims: 32, bits: 0, mapSize: 64 * 1024)
        #expect(store.mapSize == 64 * 1024)
        let items = (0..<4000).map { item($0, dims: 32) }
        for start in stride(from: 0, to: items.count, by: 1000) { try store.put(Array(items[start..<start + 1000])) }
        #expect(store.env.growths > 0)
        #expect(store.mapSize > 64 * 1024)
        #expect(try store.count() == 4000)
        #expect(try store.get("item-3999") == items[3999])
        #expect(try store.checkConsistency() == [])
        // Reopening with a small size keeps the grown map.
        let path = store.path
        store = try makeStore()
        let again = try CodeStore(path: path, access: .readOnly, mapSize: 64 * 1024)
        #expect(try again.count() == 4000)
    }

    @Test func readersSeeConsistentSnapshotsWhileAWriterCommits() throws {
        // A tiny map, so the writer also grows it while readers are busy.
        let store = try makeStore(dims: 8, bits: 16, mapSize: 128 * 1024)
        let batches = 40, perBatch = 250
        let done = Flag(), started = Flag()
        var counts: Set<Int> = [0]
        var n = 0
        for b in 0..<batches {
            n += perBatch
            counts.insert(n)
            if b % 3 == 0 { n -= 1; counts.insert(n) }
        }
        let committedCounts = counts
        let writerError = ErrorBox()
        // A real thread, so the writer runs alongside the reader whatever the test pool is doing.
        let writer = Thread {
            defer { done.set() }
            while !started.isSet { usleep(100) }
            do {
                for b in 0..<batches {
                    try store.put((b * perBatch..<(b + 1) * perBatch).map { item($0, dims: 8, words: 1, bits: 16) })
                    if b % 3 == 0 { try store.delete(["item-\(b * perBatch)"]) }
                }
            } catch { writerError.set(error) }
        }
        writer.start()
        var observations = 0
        var failures: [String] = []
        repeat {
            started.set()
            let snap = try store.snapshot()
            // Every committed state is whole batches, with or without the batch's deletion.
            if !committedCounts.contains(snap.count) { failures.append("count \(snap.count) is not a committed state") }
            if snap.meta.count != snap.count { failures.append("meta \(snap.meta.count) vs \(snap.count)") }
            for r in stride(from: 0, to: snap.count, by: 97) where snap.codes[r, 0] != Float(snap.ids[r].dropFirst(5)) {
                failures.append("row \(r) code does not match its id")
            }
            failures.append(contentsOf: try store.checkConsistency())
            observations += 1
        } while !done.isSet
        #expect(writerError.error == nil)
        #expect(failures.isEmpty, "\(failures.prefix(5))")
        #expect(observations >= 1)
        #expect(try store.count() == batches * perBatch - (batches + 2) / 3)
        #expect(try store.checkConsistency() == [])
        #expect(store.env.growths > 0)
    }

    @Test func lmdbErrorsCarryLMDBsMessage() throws {
        let e = LMDBError(code: -30792, operation: "mdb_put", path: "/x")
        #expect(e.isMapFull)
        #expect(e.description.contains("MDB_MAP_FULL"))
        #expect(e.description.contains("/x"))
    }

    @Test func fingerprintIsFNV1a64OfTheBytes() throws {
        let path = temporaryStorePath()
        try Data("a".utf8).write(to: URL(fileURLWithPath: path))
        #expect(try CodeStore.fingerprint(ofFile: path) == "af63dc4c8601ec8c")
        try Data().write(to: URL(fileURLWithPath: path))
        #expect(try CodeStore.fingerprint(ofFile: path) == "cbf29ce484222325")
    }

    @Test func canonicalCopyAndDiskUsage() throws {
        let store = try makeStore(dims: 16)
        try store.put((0..<2000).map { item($0, dims: 16) })
        let usage = store.diskUsage()
        #expect(usage.allocatedBytes > 2000 * 64)
        let copy = temporaryStorePath()
        defer {
            try? FileManager.default.removeItem(atPath: copy); try? FileManager.default.removeItem(atPath: store.path)
        }
        try store.writeCanonicalCopy(to: copy)
        let reopened = try CodeStore(path: copy, access: .readOnly)
        #expect(try reopened.count() == 2000)
        #expect(try reopened.checkConsistency() == [])
        #expect(reopened.diskUsage().apparentBytes <= usage.apparentBytes)
    }
}
