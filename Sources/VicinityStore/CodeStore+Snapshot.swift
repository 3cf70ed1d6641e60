import Foundation
import Synchronization
import VicinityMath

/// Reading every item at once (a server's start): the longest step of a 10M start.
extension CodeStore {
    /// Stores of at least this many items are read in two halves, when there are two cores.
    public static let halvedReadItems = availableCores > 1 ? 1 << 16 : Int.max

    /// Every item, placed by row, from one consistent snapshot: one cursor pass over `items`, or
    /// for a large store two passes on two cores, over the keys below and from the id of row n/2,
    /// each in its own read transaction of the same commit. `halvingFrom`: the least count read
    /// in halves (tests lower it).
    public func snapshot(halvingFrom: Int = halvedReadItems) throws -> StoreSnapshot {
        try env.read { txn in
            let meta = try requireMeta(txn)
            let n = try txn.entries(itemsDB)
            let dims = meta.codeDims, words = meta.wordsPerItem
            var ids = [String](repeating: "", count: n)
            var labels = [Int](repeating: -1, count: n)
            var codes = Matrix(rows: n, cols: dims)
            var bits = [UInt64](repeating: 0, count: n * words)
            let middle = n >= max(2, halvingFrom) ? try txn.get(rowsDB, Self.rowKey(n / 2)) : nil
            try ids.withUnsafeMutableBufferPointer { ids in
                try labels.withUnsafeMutableBufferPointer { labels in
                    try codes.storage.withUnsafeMutableBufferPointer { codes in
                        try bits.withUnsafeMutableBufferPointer { bits in
                            let columns = SnapshotColumns(
                                ids: ids, labels: labels, codes: codes, bits: bits, dims: dims, words: words)
                            try read(txn, middle: middle, into: columns)
                        }
                    }
                }
            }
            return StoreSnapshot(meta: meta, ids: ids, labels: labels, codes: codes, bits: bits, wordsPerItem: words)
        }
    }

    /// Reads all of `txn` into `columns`: in halves at `middle` when given, the upper half in a
    /// second transaction on the other core (or after the lower one, when none can be opened).
    private func read(_ txn: LMDBTransaction, middle: [UInt8]?, into columns: SnapshotColumns) throws {
        guard let middle else { return try place(txn, from: nil, before: nil, into: columns) }
        let shared = UnsafeSendable((self, txn, columns))
        let upperRead = parallelMap(2) { half -> Result<Bool, any Error> in
            let (store, txn, columns) = shared.value
            return Result {
                if half == 0 {
                    try store.place(txn, from: nil, before: middle, into: columns)
                    return true
                }
                return try store.env.readAlongside(txn) {
                    try store.place($0, from: middle, before: nil, into: columns)
                } != nil
            }
        }
        _ = try upperRead[0].get()
        if try !upperRead[1].get() { try place(txn, from: middle, before: nil, into: columns) }
    }

    /// Places the items whose keys run from `start` (the first when nil) up to, not including,
    /// `end` (the last when nil), each in the row its record names.
    private func place(
        _ txn: LMDBTransaction, from start: [UInt8]?, before end: [UInt8]?, into c: SnapshotColumns
    ) throws {
        let (n, dims, words) = (c.ids.count, c.dims, c.words)
        let visit = { (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) throws -> Bool in
            if let end, !key.lexicographicallyPrecedes(end) { return false }
            guard let h = ItemRecord.header(value), h.dims == dims, h.words == words else {
                throw StoreError.corrupt(
                    path: self.path,
                    detail:
                        "record of \(String(decoding: key, as: UTF8.self)) does not decode to \(dims) floats and \(words) bit words"
                )
            }
            let r = Int(h.row)
            guard r < n, c.claim(r) else {
                throw StoreError.corrupt(
                    path: self.path,
                    detail:
                        "item \(String(decoding: key, as: UTF8.self)) claims row \(r) (\(n) items\(r < n ? ", row taken twice" : ""))"
                )
            }
            c.ids[r] = String(decoding: key, as: UTF8.self)
            c.labels[r] = Int(h.label)
            ItemRecord.copyCode(value, h, into: c.codes.baseAddress! + r * dims)
            for w in 0..<words { c.bits[r * words + w] = ItemRecord.bitWord(value, h, w) }
            return true
        }
        if let start {
            try start.withUnsafeBytes { try txn.forEach(itemsDB, from: $0, visit) }
        } else {
            try txn.forEach(itemsDB, visit)
        }
    }
}

/// The columns a snapshot fills, row by row. A row is claimed once, atomically, before it is
/// written, so two readers never write one row even when a damaged store names it twice.
private final class SnapshotColumns: @unchecked Sendable {
    let ids: UnsafeMutableBufferPointer<String>
    let labels: UnsafeMutableBufferPointer<Int>
    let codes: UnsafeMutableBufferPointer<Float>
    let bits: UnsafeMutableBufferPointer<UInt64>
    let dims: Int, words: Int
    private let claims: UnsafeMutablePointer<Atomic<Bool>>

    init(
        ids: UnsafeMutableBufferPointer<String>, labels: UnsafeMutableBufferPointer<Int>,
        codes: UnsafeMutableBufferPointer<Float>, bits: UnsafeMutableBufferPointer<UInt64>, dims: Int, words: Int
    ) {
        (self.ids, self.labels, self.codes, self.bits) = (ids, labels, codes, bits)
        (self.dims, self.words) = (dims, words)
        claims = .allocate(capacity: max(1, ids.count))
        for r in 0..<ids.count { (claims + r).initialize(to: Atomic(false)) }
    }

    deinit {
        claims.deinitialize(count: ids.count)
        claims.deallocate()
    }

    /// True for the first claim of `row`, false for every later one.
    func claim(_ row: Int) -> Bool { !claims[row].exchange(true, ordering: .relaxed) }
}
