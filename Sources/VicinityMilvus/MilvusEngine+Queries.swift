import Foundation
import VicinityCodes
import VicinitySearch
import VicinityServer

/// KNN, HAMMING and RADIUS answered by Milvus and settled into the local engine's order.
extension MilvusEngine {
    public func knn(k: Int, query: VectorQuery, options: SearchOptions) throws -> [Hit] {
        try refuseFilter(options)
        let embedded = if case .raw(let pixels) = query { try embed(pixels).codes.row(0) } else { [Float]() }
        let (vector, own) = try queryVector(query, embedded: embedded)
        let guarantee = self.guarantee
        let spec = SearchSpec(
            collection: url.codesCollection, field: MilvusLayout.codeField, metric: "L2", vector: .float(vector),
            limit: 0, withVectors: true, guarantee: guarantee)
        let hits = try settle {
            try Settle.knn(k: k, excluding: options.noSelf ? own : nil, cap: MilvusLayout.searchCap) { limit, range in
                try self.client.search(with(spec) { ($0.limit, $0.range) = (limit, range) })
            } distance: { hit in
                vector.withUnsafeBufferPointer { q in
                    hit.vector!.withUnsafeBufferPointer { x in
                        Kernels.squaredL2(q.baseAddress!, x.baseAddress!, min(q.count, x.count))
                    }
                }
            }
        }
        return hits.map { Hit(id: $0.id, distance: $0.distance, label: $0.label) }
    }

    public func hamming(k: Int, query: BitsQuery, options: SearchOptions) throws -> [Hit] {
        try refuseFilter(options)
        let (bytes, own) = try bitsQuery(query)
        let spec = bitsSpec(bytes)
        let hits = try settle {
            try Settle.hamming(k: k, excluding: options.noSelf ? own : nil, cap: MilvusLayout.searchCap) {
                limit, range in
                try self.client.search(with(spec) { ($0.limit, $0.range) = (limit, range) })
            }
        }
        return hits.map { Hit(id: $0.id, distance: $0.distance, label: $0.label) }
    }

    public func radius(_ r: Int, query: BitsQuery, options: SearchOptions) throws -> [Hit] {
        try refuseFilter(options)
        let (bytes, own) = try bitsQuery(query)
        let cap = MilvusLayout.searchCap
        let found = try milvus {
            try client.search(with(bitsSpec(bytes)) { ($0.limit, $0.range) = (cap, (Float(r + 1), nil)) })
        }
        guard found.count < cap else {
            throw EngineError(
                "TOOMANY", "\(cap) or more items within radius \(r); the Milvus backend returns at most \(cap - 1)")
        }
        let excluded = options.noSelf ? own : nil
        return Settle.ordered(found, k: found.count, excluding: excluded).map {
            Hit(id: $0.id, distance: $0.distance, label: $0.label)
        }
    }

    public func shortlist(k: Int, radius: Int, query: VectorQuery, options: SearchOptions) throws -> [Hit] {
        throw unsupported("SHORTLIST")
    }

    private func bitsSpec(_ bytes: [UInt8]) -> SearchSpec {
        SearchSpec(
            collection: url.bitsCollection, field: MilvusLayout.bitsField, metric: "HAMMING", vector: .binary(bytes),
            limit: 0, guarantee: guarantee)
    }

    private func refuseFilter(_ options: SearchOptions) throws {
        if options.filter != nil { throw unsupported("FILTER") }
    }

    private func settle(_ body: () throws -> [MilvusHit]) throws -> [MilvusHit] {
        do { return try milvus(body) } catch SettleError.tooMany(let cap) {
            throw EngineError(
                "TOOMANY", "\(cap) or more items tie at the k-th distance; the Milvus backend settles fewer than \(cap)"
            )
        }
    }

    /// The query's code, and the query item's id when it is one.
    private func queryVector(_ query: VectorQuery, embedded: [Float]) throws -> ([Float], String?) {
        switch query {
        case .id(let id):
            let found = try lookUp(url.codesCollection, id: id, field: MilvusLayout.codeField)
            guard let code = found.map({ $0.floats(MilvusLayout.codeField) }) else { throw EngineError.notFound(id) }
            return (code, id)
        case .row(let row):
            let found = try lookUp(url.codesCollection, row: row, fields: [MilvusLayout.codeField])
            return (found.floats(MilvusLayout.codeField), found.strings(MilvusLayout.idField).first)
        case .vector(let v):
            guard v.count == layout.codeDims else {
                throw EngineError("DIM", "VEC has \(v.count) values; codes have \(layout.codeDims)")
            }
            return (v, nil)
        case .raw:
            return (embedded, nil)
        }
    }

    /// The query's packed bits, and the query item's id when it is one.
    private func bitsQuery(_ query: BitsQuery) throws -> ([UInt8], String?) {
        guard layout.bits > 0 else { throw EngineError("NOBITS", "this store keeps no binary codes") }
        switch query {
        case .id(let id):
            guard let found = try lookUp(url.bitsCollection, id: id, field: MilvusLayout.bitsField) else {
                throw EngineError.notFound(id)
            }
            return (found.bytes(MilvusLayout.bitsField), id)
        case .row(let row):
            let found = try lookUp(url.bitsCollection, row: row, fields: [MilvusLayout.bitsField])
            return (found.bytes(MilvusLayout.bitsField), found.strings(MilvusLayout.idField).first)
        case .hex(let text):
            do { return (try BinaryCodes(hex: text, bits: layout.bits).toBytes(), nil) } catch {
                throw EngineError("BADARG", "\(error)")
            }
        case .bytes(let bytes):
            let expected = layout.bytesPerCode
            let hexDigits = bytes.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 | 0x20 >= 97 && $0 | 0x20 <= 102) }
            if bytes.count != expected && hexDigits {
                return try bitsQuery(.hex(String(decoding: bytes, as: UTF8.self)))
            }
            guard bytes.count == expected else {
                throw EngineError(
                    "DIM", "BITS has \(bytes.count) bytes; codes have \(layout.bits) bits (\(expected) bytes)")
            }
            return (bytes, nil)
        }
    }

    /// An item's vector field by id; nil when there is no such id.
    func lookUp(_ collection: String, id: String, field: String) throws -> Columns? {
        let expr = "\(MilvusLayout.idField) == \(milvusLiteral(id))"
        let found = try milvus {
            try client.query(collection, where: expr, fields: ["id", field], guarantee: guarantee)
        }
        return found.strings(MilvusLayout.idField).isEmpty ? nil : found
    }

    /// The item at a row, with its id and the fields asked for; NOTFOUND as the local engine words it.
    func lookUp(_ collection: String, row: Int, fields: [String]) throws -> Columns {
        let count = count()
        guard row >= 0 && row < count else {
            throw EngineError("NOTFOUND", "no row \(row); the store has rows 0..<\(count)")
        }
        let expr = "\(MilvusLayout.rowField) == \(row)"
        let found = try milvus {
            try client.query(collection, where: expr, fields: ["id"] + fields, guarantee: guarantee)
        }
        guard found.strings(MilvusLayout.idField).count == 1 else {
            throw EngineError(
                "BACKEND", "\(collection) holds \(found.strings("id").count) items at row \(row), not one")
        }
        return found
    }
}

/// A copy of a value with some of it changed.
func with<T>(_ value: T, _ change: (inout T) -> Void) -> T {
    var copy = value
    change(&copy)
    return copy
}
