import VicinityMath

/// The served store's ids by row and rows by id, in about 20 bytes an item (10M ids of 9 bytes:
/// ~200 MiB, where `[String]` with a `[String: Int]` beside it took ~600 MiB): the id bytes in
/// one arena, each row's offset and length, and an open-addressing table (linear probing, at
/// most half full) of row + 1 by the id's FNV-1a hash. Rows are dense, as in the store: removing
/// a row moves the last one into it. The arena is compacted when half of it is garbage.
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
            var h = Self.hash(bytes) & (slots.count - 1)
            while slots[h] != 0 {
                let row = Int(slots[h] - 1)
                if matches(row, bytes) { return row }
                h = (h + 1) & (slots.count - 1)
            }
            return nil
        }
    }

    /// Adds `id` as the next row (the caller knows it is new).
    mutating func append(_ id: String) {
        let bytes = Array(id.utf8)
        precondition(bytes.count <= Int(UInt8.max), "ids have at most 255 bytes")
        if 2 * (count + 1) > slots.count { resize(for: count + 1) }
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
        return Int(truncatingIfNeeded: h ^ (h >> 29))
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
        var h = hash(ofRow: row) & (slots.count - 1)
        while slots[h] != 0 { h = (h + 1) & (slots.count - 1) }
        slots[h] = UInt32(row + 1)
    }

    /// Empties `row`'s slot and shifts back the entries after it that would no longer be found
    /// (deletion without tombstones, so lookups never slow down).
    private mutating func deleteSlot(row: Int) {
        let mask = slots.count - 1
        var h = hash(ofRow: row) & mask
        while slots[h] != UInt32(row + 1) { h = (h + 1) & mask }
        var hole = h
        var next = (h + 1) & mask
        while slots[next] != 0 {
            let home = hash(ofRow: Int(slots[next] - 1)) & mask
            // The entry may move into the hole unless its home lies cyclically in (hole, next].
            let stays = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next)
            if !stays {
                slots[hole] = slots[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        slots[hole] = 0
    }

    private mutating func resize(for n: Int) {
        var size = 16
        while size < 2 * n { size *= 2 }
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
