import VicinityMath

/// One substring's hash table: substring value (≤ 32 bits) → the rows holding it.
///
/// Compact CSR layout: `rows` lists every indexed row grouped by key (rows ascending
/// within a key) and a key's group is `rows[offsets[s] ..< offsets[s + 1]]`, where
/// the slot s comes either straight from the key (`direct`, offsets sized 2^width + 1,
/// chosen when that is smaller) or from an open-addressing table over the distinct
/// keys (`keys` sorted, `slots` holding key number + 1, 0 = empty, linear probing).
/// Memory: 4 bytes per row plus min(4·2^width, ≈12–20 bytes per distinct key).
struct SubstringTable: Sendable {
    let width: Int
    private(set) var direct: Bool
    /// The arrays, in memory of their own, so a `View` of them needs no closure scope
    /// (one per array per query retained and copied the table); shared between copies
    /// until one changes (`rename`).
    private var memory: TableMemory
    private var shift: UInt32 = 0
    private var rows: UnsafeMutableBufferPointer<UInt32> { memory.rows }

    /// Builds the table for `keys[r]` = substring value of row r, r in 0..<keys.count.
    init(width: Int, rowKeys: [UInt32]) {
        precondition(width >= 1 && width <= 32, "SubstringTable: width \(width) outside 1…32")
        self.width = width
        let n = rowKeys.count
        // Stable LSD radix sort of the rows by key, at most 16 bits per pass.
        var order = [UInt32](repeating: 0, count: n)
        for i in 0..<n { order[i] = UInt32(i) }
        var tmp = order
        let passes = (width + 15) / 16, digitBits = (width + passes - 1) / passes
        let digitMask = UInt32((1 << digitBits) - 1)
        var counts = [Int](repeating: 0, count: 1 << digitBits)
        rowKeys.withUnsafeBufferPointer { key in
            for shift in stride(from: 0, to: width, by: digitBits) where n > 0 {
                for c in counts.indices { counts[c] = 0 }
                for r in order { counts[Int((key[Int(r)] >> UInt32(shift)) & digitMask)] += 1 }
                var sum = 0
                for c in counts.indices { let v = counts[c]; counts[c] = sum; sum += v }
                for r in order {
                    let digit = Int((key[Int(r)] >> UInt32(shift)) & digitMask)
                    tmp[counts[digit]] = r
                    counts[digit] += 1
                }
                swap(&order, &tmp)
            }
        }
        tmp = []
        var keys: [UInt32] = [], offsets: [UInt32] = [], slots: [UInt32] = []
        var distinct = 0
        var previous: UInt32? = nil
        for r in order where rowKeys[Int(r)] != previous { distinct += 1; previous = rowKeys[Int(r)] }
        var capacity = 2
        while capacity < 2 * distinct { capacity *= 2 }
        let hashedBytes = 4 * distinct + 4 * (distinct + 1) + 4 * capacity
        let directBytes = width <= 30 ? 4 * ((1 << width) + 1) : Int.max
        direct = directBytes <= hashedBytes
        if direct {
            offsets = [UInt32](repeating: 0, count: (1 << width) + 1)
            for r in order { offsets[Int(rowKeys[Int(r)]) + 1] += 1 }
            for s in 0..<(1 << width) { offsets[s + 1] += offsets[s] }
        } else {
            keys.reserveCapacity(distinct)
            offsets.reserveCapacity(distinct + 1)
            for (p, r) in order.enumerated() where keys.last != rowKeys[Int(r)] {
                keys.append(rowKeys[Int(r)])
                offsets.append(UInt32(p))
            }
            offsets.append(UInt32(n))
            shift = UInt32(32 - capacity.trailingZeroBitCount)
            slots = [UInt32](repeating: 0, count: capacity)
            let mask = capacity - 1
            for (s, key) in keys.enumerated() {
                var h = SubstringTable.hash(key, shift: shift)
                while slots[h] != 0 { h = (h + 1) & mask }
                slots[h] = UInt32(s + 1)
            }
        }
        memory = TableMemory(offsets: offsets, rows: order, keys: keys, slots: slots, codes: [])
    }

    /// Fibonacci hashing: the top bits of key × 2^32/φ pick the slot.
    @inline(__always) static func hash(_ key: UInt32, shift: UInt32) -> Int {
        Int((key &* 0x9E37_79B1) >> shift)
    }

    /// Copies every listed row's code next to it, in bucket order, so that checking a
    /// bucket's rows reads memory in sequence instead of one cache miss per row (on
    /// clustered data a query checks thousands of rows; that miss was most of its time).
    mutating func copyCodes(from base: UnsafePointer<UInt64>, wordsPerCode wpc: Int) {
        var copy = [UInt64](repeating: 0, count: rows.count * wpc)
        copy.withUnsafeMutableBufferPointer { out in
            for (p, r) in rows.enumerated() {
                for w in 0..<wpc { out[p * wpc + w] = base[Int(r) * wpc + w] }
            }
        }
        memory = memory.copy(codes: copy)
    }

    /// Renames `row`'s entry in the bucket of `key` to `newRow`, or with nil marks it removed
    /// (row UInt32.max: past the end of any index, so the probes skip it).
    mutating func rename(_ row: Int, key: UInt32, to newRow: Int?) {
        let bucket = lookup(key)
        guard let p = bucket.first(where: { rows[$0] == UInt32(row) }) else {
            preconditionFailure("row \(row) is not in its bucket")
        }
        if !isKnownUniquelyReferenced(&memory) { memory = memory.copy() }
        memory.rows[p] = newRow.map { UInt32($0) } ?? UInt32.max
    }

    /// Positions in `rows` of the rows whose substring equals `key` (empty if none).
    func lookup(_ key: UInt32) -> Range<Int> {
        let (offsets, keys, slots) = (memory.offsets, memory.keys, memory.slots)
        if direct { return Int(offsets[Int(key)])..<Int(offsets[Int(key) + 1]) }
        var h = SubstringTable.hash(key, shift: shift)
        while true {
            let v = Int(slots[h])
            if v == 0 { return 0..<0 }
            if keys[v - 1] == key { return Int(offsets[v - 1])..<Int(offsets[v]) }
            h = (h + 1) & (slots.count - 1)
        }
    }

    /// The same lookup over raw pointers (no retain, no bounds check) for the probe
    /// loop; valid while this table (or a copy sharing its memory) is unchanged.
    var view: View {
        View(
            direct: direct, offsets: UnsafePointer(memory.offsets.baseAddress!),
            rows: UnsafePointer(memory.rows.baseAddress!), codes: UnsafePointer(memory.codes.baseAddress!),
            keys: UnsafePointer(memory.keys.baseAddress!), slots: UnsafePointer(memory.slots.baseAddress!),
            slotMask: memory.slots.count - 1, shift: shift)
    }

    /// Read-only pointers into a `TableMemory` that the tables holding it keep alive.
    struct View: @unchecked Sendable {
        let direct: Bool
        let offsets: UnsafePointer<UInt32>, rows: UnsafePointer<UInt32>
        /// The codes in `rows` order, when copied.
        let codes: UnsafePointer<UInt64>?
        let keys: UnsafePointer<UInt32>?, slots: UnsafePointer<UInt32>?
        let slotMask: Int, shift: UInt32

        @inline(__always) func lookup(_ key: UInt32) -> Range<Int> {
            if direct {
                let k = Int(key)
                return Int(offsets[k])..<Int(offsets[k + 1])
            }
            let keys = keys.unsafelyUnwrapped, slots = slots.unsafelyUnwrapped
            var h = SubstringTable.hash(key, shift: shift)
            while true {
                let v = Int(slots[h])
                if v == 0 { return 0..<0 }
                if keys[v - 1] == key { return Int(offsets[v - 1])..<Int(offsets[v]) }
                h = (h + 1) & slotMask
            }
        }
    }

    /// Bytes held by the table's arrays.
    var memoryBytes: Int {
        4 * (memory.keys.count + memory.offsets.count + memory.rows.count + memory.slots.count)
            + 8 * memory.codes.count
    }
}

/// A table's arrays in memory allocated for them (never empty, so every base address
/// exists), freed with the last table that shares it.
final class TableMemory: @unchecked Sendable {
    let offsets: UnsafeMutableBufferPointer<UInt32>, rows: UnsafeMutableBufferPointer<UInt32>
    let keys: UnsafeMutableBufferPointer<UInt32>, slots: UnsafeMutableBufferPointer<UInt32>
    let codes: UnsafeMutableBufferPointer<UInt64>

    init(offsets: [UInt32], rows: [UInt32], keys: [UInt32], slots: [UInt32], codes: [UInt64]) {
        func copy<T>(_ a: [T]) -> UnsafeMutableBufferPointer<T> {
            let p = UnsafeMutablePointer<T>.allocate(capacity: max(1, a.count))
            a.withUnsafeBufferPointer { if let base = $0.baseAddress { p.initialize(from: base, count: a.count) } }
            return UnsafeMutableBufferPointer(start: p, count: a.count)
        }
        (self.offsets, self.rows, self.keys, self.slots, self.codes) = (
            copy(offsets), copy(rows), copy(keys), copy(slots), copy(codes)
        )
    }

    /// A copy of its own, with other codes when given.
    func copy(codes newCodes: [UInt64]? = nil) -> TableMemory {
        TableMemory(
            offsets: Array(offsets), rows: Array(rows), keys: Array(keys), slots: Array(slots),
            codes: newCodes ?? Array(codes))
    }

    deinit {
        for buffer in [offsets, rows, keys, slots] { buffer.baseAddress!.deallocate() }
        codes.baseAddress!.deallocate()
    }
}

/// Calls `body(mask)` for every `width`-bit mask with exactly `weight` bits set, in
/// increasing order (Gosper's hack); stops early when `body` returns false.
@inline(__always)
func forEachMask(width: Int, weight: Int, _ body: (UInt32) -> Bool) {
    if weight == 0 { _ = body(0); return }
    guard weight <= width else { return }
    var v: UInt64 = (1 << UInt64(weight)) - 1
    let limit: UInt64 = 1 << UInt64(width)
    while v < limit {
        if !body(UInt32(truncatingIfNeeded: v)) { return }
        let t = v | (v - 1)
        v = (t + 1) | (((~t & (t + 1)) - 1) >> UInt64(v.trailingZeroBitCount + 1))
    }
}

/// Bits `start ..< start + width` (width ≤ 32) of the code at `code`, as an integer.
@inline(__always)
func substring(_ code: UnsafePointer<UInt64>, start: Int, width: Int) -> UInt32 {
    let w = start >> 6, off = start & 63
    var v = code[w] >> UInt64(off)
    if off + width > 64 { v |= code[w + 1] << UInt64(64 - off) }
    return UInt32(truncatingIfNeeded: v & ((UInt64(1) << UInt64(width)) - 1))
}

/// The binomial coefficient C(n, k) as a Double (no overflow for n ≤ 1024).
func binomial(_ n: Int, _ k: Int) -> Double {
    guard k >= 0 && k <= n else { return 0 }
    var c = 1.0
    for i in 0..<min(k, n - k) { c = c * Double(n - i) / Double(i + 1) }
    return c
}
