import VicinityMath

/// The served store's ids by row and rows by id, in about 19 bytes an item (10M ids of 9 bytes:
/// ~190 MB, where `[String]` with a `[String: Int]` beside it took ~600 MiB): the id bytes in
/// one arena, each row's offset and length, and an open-addressing table (linear probing, at
/// most four fifths full and sized to the ids, not to a power of two: a hit takes ~3 probes at
/// worst) of row + 1 by the id's FNV-1a hash. Rows are dense, as in the store: removing a row
/// moves the last one into it. The arena is compacted when half of it is garbage.
struct IDTable: Sendable {
    private var arena: [UInt8] = []
    private var offsets: [UInt32] = []
    private var lengths: [UInt8] = []
    private var slots: [UInt32] = []
    private var garbage = 0

    init(_ ids: [String] = []) {
        arena.reserveCapacity(ids.reduce(0) { $0 + $1.utf8.count })
        offsets.reserveCapacity(ids.count)
        lengths.reserveCapacity(ids.count)
        resize(for: ids.count)
        for id in ids { append(id) }
    }

    var count: Int { offsets.count }

    /// The id at `row`.
    func id(_ row: Int) -> String {
        let start = Int(offsets[row])
        return String(decoding: arena[start..<(start + Int(lengths[row]))], as: UTF8.self)
    }

    /// The row of `id`, or nil.
    func row(of id: String) -> Int? {
        var key = id
        return key.withUTF8 { bytes in
            guard bytes.count <= Int(UInt8.max) else { return nil }
            var h = home(Self.hash(bytes))
            while slots[h] != 0 {
                let row = Int(slots[h] - 1)
                if matches(row, bytes) { return row }
                h = after(h)
            }
            return nil
        }
    }

    /// Adds `id` as the next row (the caller knows it is new).
    mutating func append(_ id: String) {
        let bytes = Array(id.utf8)
        precondition(bytes.count <= Int(UInt8.max), "ids have at most 255 bytes")
        if 5 * (count + 1) > 4 * slots.count { resize(for: count + count / 4 + 1) }
        offsets.append(UInt32(arena.count))
        lengths.append(UInt8(bytes.count))
        arena += bytes
        insertSlot(row: count - 1)
        if arena.count > Int(UInt32.max) / 2 { compact() }
    }

    /// Removes `row`, moving the last row into its place.
    mutating func removeSwappingLast(_ row: Int) {
        let last = count - 1
        deleteSlot(row: row)
        garbage += Int(lengths[row])
        if row != last {
            deleteSlot(row: last)
            offsets[row] = offsets[last]
            lengths[row] = lengths[last]
            insertSlot(row: row)
        }
        offsets.removeLast()
        lengths.removeLast()
        if garbage > arena.count / 2 && garbage > 1 << 16 { compact() }
    }

    // MARK: the hash table

    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        // Mixed so the top bits, which pick the slot, depend on every byte.
        h = (h ^ (h >> 33)) &* 0xFF51_AFD7_ED55_8CCD
        return Int(truncatingIfNeeded: h ^ (h >> 33))
    }

    private func matches(_ row: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard Int(lengths[row]) == bytes.count else { return false }
        return arena.withUnsafeBufferPointer { a in
            let start = Int(offsets[row])
            for i in 0..<bytes.count where a[start + i] != bytes[i] { return false }
            return true
        }
    }

    private func hash(ofRow row: Int) -> Int {
        arena.withUnsafeBufferPointer { a in
            Self.hash(UnsafeBufferPointer(rebasing: a[Int(offsets[row])..<(Int(offsets[row]) + Int(lengths[row]))]))
        }
    }

    private mutating func insertSlot(row: Int) {
        var h = home(hash(ofRow: row))
        while slots[h] != 0 { h = after(h) }
        slots[h] = UInt32(row + 1)
    }

    /// Empties `row`'s slot and shifts back the entries after it that would no longer be found
    /// (deletion without tombstones, so lookups never slow down).
    private mutating func deleteSlot(row: Int) {
        var h = home(hash(ofRow: row))
        while slots[h] != UInt32(row + 1) { h = after(h) }
        var hole = h
        var next = after(h)
        while slots[next] != 0 {
            let start = home(hash(ofRow: Int(slots[next] - 1)))
            // The entry may move into the hole unless its home lies cyclically in (hole, next].
            let stays = hole <= next ? (start > hole && start <= next) : (start > hole || start <= next)
            if !stays {
                slots[hole] = slots[next]
                hole = next
            }
            next = after(next)
        }
        slots[hole] = 0
    }

    /// A hash's first slot: its top bits scaled to the table (any size, not only powers of two).
    @inline(__always) private func home(_ hash: Int) -> Int {
        Int(UInt64(bitPattern: Int64(hash)).multipliedFullWidth(by: UInt64(slots.count)).high)
    }

    @inline(__always) private func after(_ h: Int) -> Int { h + 1 == slots.count ? 0 : h + 1 }

    /// A table at most four fifths full for `n` ids, however many there are.
    private mutating func resize(for n: Int) {
        let size = max(16, n + n / 4 + 1)
        slots = [UInt32](repeating: 0, count: size)
        for row in 0..<count { insertSlot(row: row) }
    }

    /// Rewrites the arena with only the live ids, in row order.
    private mutating func compact() {
        var fresh: [UInt8] = []
        fresh.reserveCapacity(arena.count - garbage)
        for row in 0..<count {
            let start = Int(offsets[row])
            offsets[row] = UInt32(fresh.count)
            fresh += arena[start..<(start + Int(lengths[row]))]
        }
        arena = fresh
        garbage = 0
    }
}
