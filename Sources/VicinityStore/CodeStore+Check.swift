import Foundation
import VicinityMath

/// What a store holds and occupies, its invariants, and file fingerprints.
extension CodeStore {

    /// Items per label, and the payload bytes the store holds: for each item its id,
    /// label (4), code (4·D), bits (8·W) and source bytes — what any format would
    /// have to keep; the yardstick for size on disk. One cursor pass.
    public func contentStatistics() throws -> (labels: [Int: Int], payloadBytes: Int) {
        try env.read { txn in
            var hist: [Int: Int] = [:]
            var bytes = 0
            try txn.forEach(itemsDB) { key, value in
                if let h = ItemRecord.header(value) { hist[Int(h.label), default: 0] += 1 }
                bytes += key.count + value.count - ItemRecord.headerSize + 4
                return true
            }
            return (hist, bytes)
        }
    }

    /// Entries in each database: meta, items, rows, addr.
    public func databaseEntries() throws -> [String: Int] {
        try env.read { txn in
            [
                "meta": try txn.entries(metaDB), "items": try txn.entries(itemsDB),
                "rows": try txn.entries(rowsDB), "addr": try txn.entries(addrDB),
            ]
        }
    }

    /// Pages (of the OS page size LMDB uses, normally 4 KiB) used by each database.
    public func databasePages() throws -> [String: Int] {
        try env.read { txn in
            [
                "meta": try txn.pages(metaDB), "items": try txn.pages(itemsDB),
                "rows": try txn.pages(rowsDB), "addr": try txn.pages(addrDB),
            ]
        }
    }

    /// Checks every invariant in one snapshot and lists what is wrong (empty: consistent):
    /// meta count = items = rows; rows 0..<count each name an item whose record
    /// holds that row; every record decodes with the store's sizes; `addr` has
    /// exactly one entry per item, under the item's code.
    public func checkConsistency() throws -> [String] {
        try env.read { txn in
            var problems: [String] = []
            guard let meta = try readMeta(txn) else {
                let n = try txn.entries(itemsDB)
                return n == 0 ? [] : ["\(n) items but no meta"]
            }
            let items = try txn.entries(itemsDB), rows = try txn.entries(rowsDB), addr = try txn.entries(addrDB)
            if meta.count != items { problems.append("meta count \(meta.count) but \(items) items") }
            if rows != items { problems.append("\(rows) rows but \(items) items") }
            if meta.hasAddresses ? addr != items : addr != 0 {
                problems.append("\(addr) address entries for \(items) items")
            }
            var r = 0
            try txn.forEach(rowsDB) { key, id in
                let row = key.count == 4 ? Int(UInt32(bigEndian: key.loadUnaligned(as: UInt32.self))) : -1
                let name = String(decoding: id, as: UTF8.self)
                if row != r { problems.append("row key \(row) where row \(r) was expected"); r = row }
                if let rec = try txn.get(itemsDB, id), let h = ItemRecord.header(rec) {
                    if Int(h.row) != row { problems.append("row \(row) names \(name), whose record says row \(h.row)") }
                    if h.dims != meta.codeDims || h.words != meta.wordsPerItem {
                        problems.append("\(name): \(h.dims) floats, \(h.words) words")
                    }
                    if meta.hasAddresses {
                        let a = Self.address(of: [ItemRecord.bitWord(rec, h, 0)], bitCount: meta.bits)
                        let found = try Self.addrKey(a).withUnsafeBytes { try txn.contains(addrDB, $0, value: id) }
                        if !found { problems.append("\(name) missing from addr") }
                    }
                } else {
                    problems.append("row \(row) names \(name), which has no (decodable) record")
                }
                r += 1
                return problems.count < 50
            }
            return problems
        }
    }

    // MARK: files

    /// Bytes on disk of the store's files.
    public func diskUsage() -> StoreDiskUsage { Self.diskUsage(of: path) }

    public static func diskUsage(of directory: String) -> StoreDiskUsage {
        var usage = StoreDiskUsage(allocatedBytes: 0, apparentBytes: 0)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            var st = stat()
            if stat((directory as NSString).appendingPathComponent(name), &st) == 0, (st.st_mode & S_IFMT) == S_IFREG {
                usage.allocatedBytes += Int(st.st_blocks) * 512
                usage.apparentBytes += Int(st.st_size)
            }
        }
        return usage
    }

    /// The current map size (grows on demand).
    public var mapSize: Int { env.mapSize }

    // MARK: fingerprints

    /// 16 hex digits of FNV-1a 64 over a file's bytes (how a store names its model).
    public static func fingerprint(ofFile path: String) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        var h = FNV1a64()
        data.withUnsafeBytes { h.combine(bytes: $0) }
        return h.hex
    }
}
