import VicinityProtocol
import Synchronization
import VicinityCodes
import VicinityMath
import VicinitySearch

/// KNN, HAMMING and RADIUS on the current state, narrowed by FILTER and NOSELF.
/// Answered on the connection's own thread: the indexes leave a few thousand
/// rows to score, tens of microseconds, and connections already run side by side on every core.
extension StoreEngine {
    public func knn(k: Int, query: VectorQuery, options: SearchOptions) throws -> [Hit] {
        // A RAW query is embedded before the lock is taken: writes need not wait for the network.
        let embedded = if case .raw(let pixels) = query { try embed(pixels).codes.row(0) } else { [Float]() }
        return try reading { s in
            let (vector, own) = try queryVector(query, s, embedded: embedded)
            let selected = try filter(options.filter, s)
            let excluded = options.noSelf ? own : nil
            return s.codes.searchOne(
                vector, k: k, filter: selected?.rows, gathered: selected?.vectors, excluding: excluded
            ).map { hit(s, $0) }
        }
    }

    public func hamming(k: Int, query: BitsQuery, options: SearchOptions) throws -> [Hit] {
        try searchBits(query, options, k: k, radius: nil)
    }

    public func radius(_ r: Int, query: BitsQuery, options: SearchOptions) throws -> [Hit] {
        try searchBits(query, options, k: nil, radius: r)
    }

    /// HAMMING (k) or RADIUS (radius): a selective filter's members scanned, else multi-index hashing.
    private func searchBits(_ query: BitsQuery, _ options: SearchOptions, k: Int?, radius: Int?) throws -> [Hit] {
        try reading { s in try searchBits(query, options, k: k, radius: radius, s) }
    }

    private func searchBits(_ query: BitsQuery, _ options: SearchOptions, k: Int?, radius: Int?, _ s: State) throws
        -> [Hit]
    {
        let (code, own) = try bitsQuery(s, query)
        return try searchBits(code, own: own, options, k: k, radius: radius, s).map { hit(s, $0) }
    }

    /// Reads the index in place through `s` (a copy of it would retain each of its arrays).
    private func searchBits(
        _ code: [UInt64], own: Int?, _ options: SearchOptions, k: Int?, radius: Int?, _ s: State
    ) throws -> [Neighbor] {
        let selected = try filter(options.filter, s)
        let excluded = options.noSelf ? own : nil
        if let selected, let bits = selected.bits {
            return scanHamming(
                code, rows: selected.rows.members, codes: bits, wordsPerCode: meta.wordsPerItem, k: k,
                radius: radius, excluding: excluded)
        }
        guard s.hamming != nil else { throw EngineError("NOBITS", "this store keeps no binary codes") }
        return if let radius {
            s.hamming!.search(code, radius: radius, filter: selected?.rows, excluding: excluded)
        } else {
            s.hamming!.search(code, k: k ?? 0, filter: selected?.rows, excluding: excluded)
        }
    }

    /// Semantic hashing's short list: the items within Hamming radius r of the query's bits (for
    /// codes of ≤ 32 bits, the rows at the addresses of that ball), ranked by the squared L2
    /// distance of their float codes to the query's, ties by row; the first k.
    public func shortlist(k: Int, radius r: Int, query: VectorQuery, options: SearchOptions) throws -> [Hit] {
        let embedded = if case .raw(let input) = query { try embed(input) } else { nil as (Matrix, BinaryCodes)? }
        return try reading { s in
            guard let index = s.hamming else { throw EngineError("NOBITS", "this store keeps no binary codes") }
            let (vector, own) = try queryVector(query, s, embedded: embedded?.0.row(0) ?? [])
            let code: [UInt64]
            if let own {
                code = index.codes.code(own)
            } else if let embedded {
                code = embedded.1.code(0)
            } else if let encoder {
                code = encoder.bits(ofCodes: Matrix(rows: 1, cols: vector.count, storage: vector)).code(0)
            } else {
                throw EngineError("NOMODEL", "the server was started without --model; a VEC query's bits need one")
            }
            var ranked = try searchBits(code, own: own, options, k: nil, radius: r, s).map { n in
                let d = vector.withUnsafeBufferPointer { q in
                    s.codes.vector(n.index).withUnsafeBufferPointer {
                        Kernels.squaredL2(q.baseAddress!, $0.baseAddress!, q.count)
                    }
                }
                return Neighbor(distance: d, index: n.index)
            }
            ranked.sort { ($0.distance, $0.index) < ($1.distance, $1.index) }
            return ranked.prefix(k).map { hit(s, $0) }
        }
    }

    /// The query's code, and the query item's row when it is one.
    private func queryVector(_ query: VectorQuery, _ s: State, embedded: [Float]) throws -> ([Float], Int?) {
        switch query {
        case .id(let id):
            guard let row = s.ids.row(of: id) else { throw EngineError.notFound(id) }
            return (s.codes.vector(row), row)
        case .row(let row):
            try checkRow(row, s)
            return (s.codes.vector(row), row)
        case .vector(let v):
            guard v.count == meta.codeDims else {
                throw EngineError("DIM", "VEC has \(v.count) values; codes have \(meta.codeDims)")
            }
            return (v, nil)
        case .raw:
            return (embedded, nil)
        }
    }

    private func checkRow(_ row: Int, _ s: State) throws {
        guard row >= 0 && row < s.ids.count else {
            throw EngineError("NOTFOUND", "no row \(row); the store has rows 0..<\(s.ids.count)")
        }
    }

    private func bitsQuery(_ s: State, _ query: BitsQuery) throws -> ([UInt64], Int?) {
        guard s.hamming != nil else { throw EngineError("NOBITS", "this store keeps no binary codes") }
        switch query {
        case .id(let id):
            guard let row = s.ids.row(of: id) else { throw EngineError.notFound(id) }
            return (s.hamming!.codes.code(row), row)
        case .row(let row):
            try checkRow(row, s)
            return (s.hamming!.codes.code(row), row)
        case .hex(let text):
            do {
                return (try BinaryCodes(hex: text, bits: meta.bits).code(0), nil)
            } catch {
                throw EngineError("BADARG", "\(error)")
            }
        case .bytes(let bytes):
            let expected = (meta.bits + 7) / 8
            let hexDigits = bytes.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 | 0x20 >= 97 && $0 | 0x20 <= 102) }
            if bytes.count != expected && hexDigits {
                return try bitsQuery(s, .hex(String(decoding: bytes, as: UTF8.self)))
            }
            guard bytes.count == expected else {
                throw EngineError(
                    "DIM", "BITS has \(bytes.count) bytes; codes have \(meta.bits) bits (\(expected) bytes)")
            }
            var words = [UInt64](repeating: 0, count: meta.wordsPerItem)
            for (i, b) in bytes.enumerated() { words[i / 8] |= UInt64(b) << UInt64(8 * (i % 8)) }
            return (words, nil)
        }
    }

    /// The rows a filter lets through in this state, cached per expression until the next write.
    private func filter(_ text: String?, _ s: State) throws -> FilterCache.Entry? {
        guard let text else { return nil }
        if let cached = filters.entry(text, version: s.version) { return cached }
        let expression: FilterExpression
        do { expression = try FilterExpression.parse(text) } catch { throw EngineError("BADARG", "\(error)") }
        let rows = RowFilter(rowCount: s.ids.count) { row in
            expression.matches { name in
                name == "label" ? .number(Double(s.labels[row])) : s.attributes[Int32(row)]?[name]
            }
        }
        var entry = FilterCache.Entry(version: s.version, rows: rows)
        if rows.isSelective {
            entry.vectors = s.codes.gather(rows.members)
            if let h = s.hamming {
                entry.bits = rows.members.flatMap { h.codes.code(Int($0)) }
            }
        }
        filters.store(text, entry)
        return entry
    }

    func hit(_ s: State, _ n: Neighbor) -> Hit {
        Hit(id: s.ids.id(n.index), distance: n.distance, label: s.labels[n.index])
    }
}

/// Filters already evaluated, by expression text, each valid for one state version.
/// Small: a server sees a few distinct filters over and over.
final class FilterCache: Sendable {
    struct Entry: Sendable {
        var version: Int
        var rows: RowFilter
        /// For a selective filter, its members' codes and bits in member order.
        var vectors: [Float]? = nil
        var bits: [UInt64]? = nil
    }
    private let entries = Mutex<[String: Entry]>([:])
    static let capacity = 64

    func entry(_ text: String, version: Int) -> Entry? {
        entries.withLock { $0[text].flatMap { $0.version == version ? $0 : nil } }
    }

    func store(_ text: String, _ entry: Entry) {
        entries.withLock {
            if $0.count >= Self.capacity { $0.removeAll() }
            $0[text] = entry
        }
    }
}
