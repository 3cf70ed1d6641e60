import VicinityCodes
import VicinityMath

/// One `MultiIndexHash` query's walk through the substring tables (the method is
/// described on `MultiIndexHash`), over raw pointers that are valid for the walk.
///
/// No visited set: a row is reached once per table, and when it would enter the
/// result its own substring distances tell whether an earlier probe already reached
/// it (`reachedBefore`). Only the rare rows that would enter pay for that check, and
/// a query needs no per-row scratch memory at all (a visited array of n stamps costs
/// a cache miss per candidate and tens of MiB per worker at 10M rows).
struct Probe {
    let base: UnsafePointer<UInt64>
    let wordsPerCode: Int
    /// Rows 0..<indexed are in the tables, except `loose`; indexed..<total and `loose` are scanned.
    let indexed: Int, total: Int
    let loose: [Int]
    let removed: Tombstones
    let tables: [SubstringTable.View]
    let starts: [Int], widths: [Int]
    /// Only these rows may be returned (a query's FILTER), and never `excluding` (NOSELF).
    var filter: RowFilter? = nil
    var excluding: Int? = nil

    @inline(__always) func live(_ row: Int) -> Bool {
        !removed.contains(row) && row != excluding && (filter?.contains(row) ?? true)
    }

    @inline(__always) func distance(_ query: UnsafePointer<UInt64>, _ row: Int) -> Int {
        Hamming.distance(query, base + row * wordsPerCode, words: wordsPerCode)
    }

    /// Offers every live row of `rows` to `top`.
    func scan(_ query: UnsafePointer<UInt64>, _ rows: Range<Int>, into top: inout HammingTopK) {
        // Block by block through the width-specialised kernel, then one compare
        // against the worst kept distance rejects almost every row.
        let block = 4096
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: block) { d in
            var bound = top.worstOrMax
            for b0 in stride(from: rows.lowerBound, to: rows.upperBound, by: block) {
                let n = min(block, rows.upperBound - b0)
                Hamming.distances(
                    query: query, codes: base + b0 * wordsPerCode, count: n, wordsPerCode: wordsPerCode,
                    into: d.baseAddress!)
                for j in 0..<n where Int(d[j]) <= bound {
                    let r = b0 + j
                    if top.accepts(Int(d[j]), r) && live(r) {
                        top.insert(Int(d[j]), r)
                        bound = top.worstOrMax
                    }
                }
            }
        }
    }

    /// Distance between the query's substring u and that of the code at `code`.
    @inline(__always) func substringDistance(_ code: UnsafePointer<UInt64>, _ u: Int, _ qsub: [UInt32]) -> Int {
        (substring(code, start: starts[u], width: widths[u]) ^ qsub[u]).nonzeroBitCount
    }

    /// Whether the k-NN walk reached the row with code `code` before probing table t
    /// at radius s: the walk probes radius s in tables 0, 1, …, m−1 before radius
    /// s + 1, and a row is reached in table u exactly at its substring distance there.
    @inline(__always) func reachedBefore(_ code: UnsafePointer<UInt64>, table t: Int, radius s: Int, _ qsub: [UInt32])
        -> Bool
    {
        for u in 0..<tables.count where u != t {
            let du = substringDistance(code, u, qsub)
            if du < s || (du == s && u < t) { return true }
        }
        return false
    }

    func querySubstrings(_ query: UnsafePointer<UInt64>) -> [UInt32] {
        (0..<tables.count).map { substring(query, start: starts[$0], width: widths[$0]) }
    }

    func knn(_ query: UnsafePointer<UInt64>, k: Int) -> [Neighbor] {
        var top = HammingTopK(k: k)
        scan(query, indexed..<total, into: &top)
        for r in loose {
            let d = distance(query, r)
            if top.accepts(d, r) && live(r) { top.insert(d, r) }
        }
        let m = tables.count
        guard m > 0 else { return top.sorted() }
        let qsub = querySubstrings(query)
        // Work so far in units of one row of a linear scan (a sequential popcount).
        // Measured on 60k 64-bit codes: a bucket lookup (a cache miss) costs about
        // 16 of those, a row checked in a bucket about 2. A query far from the data
        // reaches many buckets for nothing; once the probes have cost as much as
        // reading every row, a scan of everything is cheaper (and still exact), so
        // no query costs much more than two scans.
        var work = 0.0
        let budget = Double(indexed), lookupCost = 16.0, rowCost = 2.0
        func scanAll() -> [Neighbor] {
            var all = HammingTopK(k: k)
            scan(query, 0..<total, into: &all)
            return all.sorted()
        }
        var s = 0
        while true {
            for t in 0..<m {
                let width = widths[t], table = tables[t], key = qsub[t]
                if work + lookupCost * binomial(width, s) > budget { return scanAll() }
                let codes = table.codes.unsafelyUnwrapped
                var bound = top.worstOrMax
                var overBudget = false
                forEachMask(width: width, weight: s) { mask in
                    let bucket = table.lookup(key ^ mask)
                    work += lookupCost + rowCost * Double(bucket.count)
                    if work > budget { overBudget = true; return false }
                    for p in bucket {
                        let code = codes + p * wordsPerCode
                        let d = Hamming.distance(query, code, words: wordsPerCode)
                        guard d <= bound else { continue }
                        let r = Int(table.rows[p])  // a removed entry's row is past the end
                        if r < total && top.accepts(d, r) && live(r) && !reachedBefore(code, table: t, radius: s, qsub)
                        {
                            top.insert(d, r)
                            bound = top.worstOrMax
                        }
                    }
                    return true
                }
                if overBudget { return scanAll() }
                // Table t is exhausted: every indexed row has been reached.
                if s >= width { return top.sorted() }
                // After radius s in tables 0…t and s − 1 in the rest, an unreached row has
                // distance ≥ m·s + t + 1, so a full result whose worst is ≤ m·s + t is final
                // (ties go to the lower row, and no unreached row can tie).
                if top.isFull && top.worstDistance <= m * s + t { return top.sorted() }
            }
            s += 1
        }
    }

    func within(_ query: UnsafePointer<UInt64>, radius r: Int) -> [Neighbor] {
        var hits = [UInt64]()
        func offer(_ row: Int) {
            let d = distance(query, row)
            if d <= r && live(row) { hits.append(HammingTopK.pack(d, row)) }
        }
        for row in indexed..<total { offer(row) }
        let m = tables.count
        guard m > 0 else { return sortedNeighbors(hits) }
        // A row within r has a substring within floor(r/m) of the query's (pigeonhole).
        let maxS = r / m
        let probes = widths.reduce(0.0) { sum, w in sum + (0...Swift.min(maxS, w)).reduce(0.0) { $0 + binomial(w, $1) }
        }
        if probes > Double(indexed) {
            // Enumerating the balls would cost more than scanning: scan.
            for row in 0..<indexed { offer(row) }
            return sortedNeighbors(hits)
        }
        for row in loose { offer(row) }
        let qsub = querySubstrings(query)
        for t in 0..<m {
            let table = tables[t], key = qsub[t]
            for s in 0...Swift.min(maxS, widths[t]) {
                forEachMask(width: widths[t], weight: s) { mask in
                    for p in table.lookup(key ^ mask) {
                        let code = table.codes.unsafelyUnwrapped + p * wordsPerCode
                        let d = Hamming.distance(query, code, words: wordsPerCode)
                        guard d <= r else { continue }
                        let row = Int(table.rows[p])
                        // Tables are walked in order, each to radius maxS: an earlier table reached it if close there.
                        if row < total && live(row)
                            && !(0..<t).contains(where: { substringDistance(code, $0, qsub) <= maxS })
                        {
                            hits.append(HammingTopK.pack(d, row))
                        }
                    }
                    return true
                }
            }
        }
        return sortedNeighbors(hits)
    }
}
