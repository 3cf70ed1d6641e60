import Foundation
import GRPCCore
import SwiftProtobuf

/// One search hit: the item's id (the primary key), Milvus's distance and the fields asked for.
public struct MilvusHit: Sendable, Equatable {
    public var id: String
    public var distance: Float
    public var row: Int
    public var label: Int
    /// The item's float code, when the search asked for the vector field.
    public var vector: [Float]?

    public init(id: String, distance: Float, row: Int, label: Int, vector: [Float]? = nil) {
        (self.id, self.distance, self.row, self.label, self.vector) = (id, distance, row, label, vector)
    }
}

/// The vector of a search: a float code, or packed bits.
enum SearchVector: Sendable {
    case float([Float])
    case binary([UInt8])
}

/// A search of one vector field: the `limit` nearest, or (with `range`) those with
/// `rangeFilter ≤ distance < radius`, at most `limit` of them.
struct SearchSpec: Sendable {
    var collection: String
    var field: String
    var metric: String
    var vector: SearchVector
    var limit: Int
    var range: (radius: Float, filter: Float?)? = nil
    var withVectors = false
    var guarantee: ReadGuarantee
}

extension MilvusClient {
    func search(_ spec: SearchSpec) throws(MilvusError) -> [MilvusHit] {
        let group = Milvus_Proto_Common_PlaceholderGroup.with {
            $0.placeholders = [
                .with {
                    $0.tag = "$0"
                    switch spec.vector {
                    case .float(let v): ($0.type, $0.values) = (.floatVector, [littleEndianBytes(v)])
                    case .binary(let b): ($0.type, $0.values) = (.binaryVector, [Data(b)])
                    }
                }
            ]
        }
        let params =
            spec.range.map { r in
                "{\"radius\": \(r.radius)" + (r.filter.map { ", \"range_filter\": \($0)" } ?? "") + "}"
            } ?? "{}"
        let outputs = ["row", "label"] + (spec.withVectors ? [spec.field] : [])
        var request = Milvus_Proto_Milvus_SearchRequest.with {
            $0.collectionName = spec.collection
            $0.dslType = .boolExprV1
            $0.outputFields = outputs
            $0.nq = 1
            $0.searchParams = [
                .pair("anns_field", spec.field), .pair("topk", "\(spec.limit)"), .pair("metric_type", spec.metric),
                .pair("params", params), .pair("round_decimal", "-1"),
            ]
        }
        do { request.placeholderGroup = try group.serializedData() } catch {
            throw .server("cannot encode a query vector")
        }
        spec.guarantee.apply(&request.consistencyLevel, &request.guaranteeTimestamp)
        let sent = request
        let reply = try call("Search of \(spec.collection)") { try await $0.search(sent, options: $1) }
        try reply.status.check("Search of \(spec.collection)")
        return try hits(reply.results, spec)
    }

    private func hits(_ data: Milvus_Proto_Schema_SearchResultData, _ spec: SearchSpec) throws(MilvusError)
        -> [MilvusHit]
    {
        let ids = data.ids.strID.data
        let columns = Columns(fields: data.fieldsData)
        let rows = columns.longs("row"), labels = columns.longs("label")
        guard data.scores.count == ids.count, rows.count == ids.count, labels.count == ids.count else {
            throw .mismatch("Milvus's search reply for \(spec.collection) lacks the id, row or label of some hits")
        }
        var vectors: [Float] = []
        var dims = 0
        if spec.withVectors, !ids.isEmpty {
            vectors = columns.floats(spec.field)
            dims = vectors.count / ids.count
            guard dims > 0, vectors.count == dims * ids.count else {
                throw .mismatch("Milvus's search reply for \(spec.collection) lacks the codes of its hits")
            }
        }
        return ids.indices.map { i in
            MilvusHit(
                id: ids[i], distance: data.scores[i], row: rows[i], label: labels[i],
                vector: dims > 0 ? Array(vectors[i * dims..<(i + 1) * dims]) : nil)
        }
    }

    /// The rows an expression matches, with the fields asked for.
    func query(
        _ collection: String, where expr: String, fields: [String], guarantee: ReadGuarantee, limit: Int? = nil
    ) throws(MilvusError) -> Columns {
        var request = Milvus_Proto_Milvus_QueryRequest.with {
            ($0.collectionName, $0.expr, $0.outputFields) = (collection, expr, fields)
            if let limit { $0.queryParams = [.pair("limit", "\(limit)")] }
        }
        guarantee.apply(&request.consistencyLevel, &request.guaranteeTimestamp)
        let sent = request
        let reply = try call("Query of \(collection)") { try await $0.query(sent, options: $1) }
        try reply.status.check("Query of \(collection)")
        return Columns(fields: reply.fieldsData)
    }

    /// How many rows the collection holds as of `guarantee`.
    func count(_ collection: String, guarantee: ReadGuarantee) throws(MilvusError) -> Int {
        let columns = try query(collection, where: "", fields: ["count(*)"], guarantee: guarantee)
        guard let n = columns.longs("count(*)").first else {
            throw .mismatch("Milvus gave no count(*) for \(collection)")
        }
        return n
    }
}
