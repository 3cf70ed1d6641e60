import VicinityCodes
import VicinityMath

/// Exact Hamming k-NN and radius search that checks each distinct code once.
///
/// Learned binary heads give many items the very same code: the 60k Fashion-MNIST store
/// holds 6,923 distinct 64-bit codes (an item shares its code with 888 others, median) and
/// a 1M perturbed set 144,567. Multi-index hashing over the rows checks every copy. Here a
/// `MultiIndexHash` holds each distinct code once (a group, numbered in order of first
/// appearance), and each group chains its rows in ascending order. A k-NN query walks the
/// groups in (distance, group) order and offers each group's rows to the result until one
/// does not enter (the rest of the chain cannot: same distance, higher rows), so answers are
/// the linear scan's, tie order (distance, row) included.
///
/// Memory beyond the codes: 4 bytes a row (the next row of its chain), 8 a group (its chain's
/// ends) and the multi-index tables over the distinct codes only. A row's group is not kept:
/// the rare change that needs it looks its code up in those tables (the one live group with it).
public struct GroupedHammingIndex: HammingSearchIndex {
    public private(set) var codes: BinaryCodes
    /// One row per group; a group whose rows are all gone is removed there (a tombstone).
    public private(set) var groups: MultiIndexHash
    /// The next row of the same group, ascending; −1 ends the chain.
    private var next: [Int32]
    /// Each group's first and last row; −1 when empty.
    private var head: [Int32], tail: [Int32]
    /// Only for `isRemoved` and `count`: `remove` also takes the row out of its chain.
    private var removed = Tombstones()

    /// Groups `codes` and indexes the distinct ones (`substrings` as `MultiIndexHash` takes it).
    public init(_ codes: BinaryCodes, substrings: Int? = nil) {
        precondition(codes.count < Int(Int32.max), "GroupedHammingIndex: at most 2^31 - 1 rows")
        self.codes = codes
        let (distinct, groupOf) = Self.group(codes)
        next = [Int32](repeating: -1, count: codes.count)
        head = [Int32](repeating: -1, count: distinct.count)
        tail = head
        groups = MultiIndexHash(distinct, substrings: substrings)
        for r in 0..<codes.count { chainAtEnd(r, Int(groupOf[r])) }
    }

    public var bits: Int { codes.bits }
    public var rowCount: Int { codes.count }
    public var count: Int { codes.count - removed.removedCount }
    public func isRemoved(_ row: Int) -> Bool { removed.contains(row) }

    /// Bytes held beyond the row codes: the chains, the distinct codes and their tables.
    public var memoryBytes: Int {
        4 * (next.count + head.count + tail.count) + groups.codes.words.count * 8
            + groups.tableMemoryBytes
    }

    /// The distinct codes in order of first appearance, and each row's group; through an
    /// open-addressing table from code to group that lives only for the build.
    static func group(_ codes: BinaryCodes) -> (BinaryCodes, [Int32]) {
        let n = codes.count, wpc = codes.wordsPerCode
        var distinct = BinaryCodes(bits: codes.bits)
        var groupOf = [Int32](repeating: 0, count: n)
        var slots = [Int32](repeating: -1, count: 1024)
        codes.words.withUnsafeBufferPointer { w in
            func hash(_ p: UnsafePointer<UInt64>) -> Int {
                var h: UInt64 = 0x9E37_79B9_7F4A_7C15
                for i in 0..<wpc { h = (h ^ p[i]) &* 0xBF58_476D_1CE4_E5B9 }
                return Int(truncatingIfNeeded: h ^ (h >> 31))
            }
            func same(_ g: Int32, _ p: UnsafePointer<UInt64>) -> Bool {
                (0..<wpc).allSatisfy { distinct.words[Int(g) * wpc + $0] == p[$0] }
            }
            for r in 0..<n {
                let code = w.baseAddress! + r * wpc
                var s = hash(code) & (slots.count - 1)
                while slots[s] >= 0 && !same(slots[s], code) { s = (s + 1) & (slots.count - 1) }
                if slots[s] >= 0 {
                    groupOf[r] = slots[s]
                    continue
                }
                slots[s] = Int32(distinct.count)
                groupOf[r] = slots[s]
                distinct.append(Array(UnsafeBufferPointer(start: code, count: wpc)))
                // Kept at most half full: grow and place every group again.
                if 2 * distinct.count > slots.count {
                    slots = [Int32](repeating: -1, count: 2 * slots.count)
                    for g in 0..<distinct.count {
                        let first = distinct.words.withUnsafeBufferPointer { hash($0.baseAddress! + g * wpc) }
                        var t = first & (slots.count - 1)
                        while slots[t] >= 0 { t = (t + 1) & (slots.count - 1) }
                        slots[t] = Int32(g)
                    }
                }
            }
        }
        return (distinct, groupOf)
    }

    // MARK: search

    /// The k nearest live rows for each query, best first; queries run side by side on all cores.
    public func search(_ queries: BinaryCodes, k: Int) -> [[Neighbor]] {
        parallelMap(queries.count) { search(queries.code($0), k: k, filter: nil, excluding: nil) }
    }

    public func search(_ queries: BinaryCodes, radius r: Int) -> [[Neighbor]] {
        parallelMap(queries.count) { search(queries.code($0), radius: r, filter: nil, excluding: nil) }
    }

    /// The k nearest live rows that `filter` lets through (all when nil), never `excluding`.
    public func search(_ query: [UInt64], k: Int, filter: RowFilter?, excluding: Int?) -> [Neighbor] {
        let k = Swift.min(k, filter?.count ?? count)
        guard k > 0 else { return [] }
        let single = MultiIndexHash.single(query, bits: bits)
        // Groups hold hundreds of rows, so the nearest one alone usually fills the k (a query
        // from the store: its own code, found by the first probe of each table); ask for four
        // times as many until they hold k rows that pass.
        var wanted = 1
        while true {
            var top = HammingTopK(k: k)
            let near = groups.search(single, k: wanted)[0]
            for g in near { offer(g, to: &top, filter, excluding) }
            let exhausted = near.count < wanted
            if top.isFull {
                // Every group nearer than the worst kept row was offered; so were those at its
                // distance unless the walk stopped among them: then take the rest of that ball
                // (not at distance 0: one code, one group, and it was offered).
                let worst = top.worstDistance
                if !exhausted && worst > 0 && Int(near[near.count - 1].distance) == worst {
                    for g in groups.search(single, radius: worst)[0].dropFirst(near.count) {
                        offer(g, to: &top, filter, excluding)
                    }
                }
                return top.sorted()
            }
            if exhausted { return top.sorted() }
            wanted *= 4
        }
    }

    /// Every live row within distance r that `filter` lets through, never `excluding`.
    public func search(_ query: [UInt64], radius r: Int, filter: RowFilter?, excluding: Int?) -> [Neighbor] {
        guard r >= 0 else { return [] }
        var hits = [UInt64]()
        for g in groups.search(MultiIndexHash.single(query, bits: bits), radius: r)[0] {
            var row = head[g.index]
            while row >= 0 {
                let rr = Int(row)
                if live(rr, filter, excluding) { hits.append(HammingTopK.pack(Int(g.distance), rr)) }
                row = next[rr]
            }
        }
        return sortedNeighbors(hits)
    }

    /// Removed rows are no longer in any chain, so only the query's own conditions remain.
    @inline(__always) private func live(_ row: Int, _ filter: RowFilter?, _ excluding: Int?) -> Bool {
        row != excluding && (filter?.contains(row) ?? true)
    }

    /// Offers a group's rows in ascending order until one does not enter.
    private func offer(_ g: Neighbor, to top: inout HammingTopK, _ filter: RowFilter?, _ excluding: Int?) {
        let d = Int(g.distance)
        var row = head[g.index]
        while row >= 0 {
            let r = Int(row)
            if live(r, filter, excluding) {
                guard top.accepts(d, r) else { return }
                top.insert(d, r)
            }
            row = next[r]
        }
    }

    // MARK: changes

    public mutating func add(_ more: BinaryCodes) {
        precondition(more.bits == bits, "GroupedHammingIndex.add: codes have \(more.bits) bits, index has \(bits)")
        precondition(codes.count + more.count < Int(Int32.max), "GroupedHammingIndex: at most 2^31 - 1 rows")
        for i in 0..<more.count {
            let code = more.code(i), row = codes.count
            let single = MultiIndexHash.single(code, bits: bits)
            let g: Int
            if let same = groups.search(single, radius: 0)[0].first {
                g = same.index
            } else {
                g = groups.rowCount
                groups.add(single)
                head.append(-1)
                tail.append(-1)
            }
            codes.append(code)
            next.append(-1)
            chainAtEnd(row, g)
        }
    }

    /// Marks `row` deleted (it keeps its number).
    public mutating func remove(_ row: Int) {
        precondition(row >= 0 && row < rowCount, "remove: row \(row) outside 0..<\(rowCount)")
        guard removed.insert(row) else { return }
        unchain(row)
    }

    /// Removes `row` and moves the last row into its place, as the store does on DEL.
    public mutating func removeSwappingLast(_ row: Int) {
        precondition(row >= 0 && row < rowCount, "removeSwappingLast: row \(row) outside 0..<\(rowCount)")
        precondition(removed.isEmpty, "removeSwappingLast and tombstones do not mix")
        let last = rowCount - 1
        unchain(row)
        if row != last {
            let g = group(of: last)
            unchain(last, keepingGroup: true)
            chainInOrder(row, g)
        }
        next.removeLast()
        codes.swapRemove(row)
    }

    /// The live group holding `row`'s code (a radius-0 lookup; `row` must still be chained).
    private func group(of row: Int) -> Int {
        groups.search(MultiIndexHash.single(codes.code(row), bits: bits), radius: 0)[0].first!.index
    }

    private mutating func chainAtEnd(_ row: Int, _ g: Int) {
        if tail[g] < 0 { head[g] = Int32(row) } else { next[Int(tail[g])] = Int32(row) }
        tail[g] = Int32(row)
    }

    /// Links `row` into group g's chain at its place in ascending order (a walk of the chain).
    private mutating func chainInOrder(_ row: Int, _ g: Int) {
        let r = Int32(row)
        if head[g] < 0 || head[g] > r {
            next[row] = head[g]
            head[g] = r
            if tail[g] < 0 { tail[g] = r }
            return
        }
        var p = Int(head[g])
        while next[p] >= 0 && next[p] < r { p = Int(next[p]) }
        next[row] = next[p]
        next[p] = r
        if tail[g] == Int32(p) { tail[g] = r }
    }

    /// Unlinks `row` from its group's chain; a group left empty leaves the distinct tables
    /// unless it is about to take a row again.
    private mutating func unchain(_ row: Int, keepingGroup: Bool = false) {
        let g = group(of: row), r = Int32(row)
        var previous: Int32 = -1
        var p = head[g]
        while p != r {
            previous = p
            p = next[Int(p)]
        }
        if previous < 0 { head[g] = next[row] } else { next[Int(previous)] = next[row] }
        if tail[g] == r { tail[g] = previous }
        next[row] = -1
        if head[g] < 0 && !keepingGroup { groups.remove(g) }
    }
}
