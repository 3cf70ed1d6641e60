import Foundation
import GRPCCore
import SwiftProtobuf

typealias FieldData = Milvus_Proto_Schema_FieldData

/// What a read must see: everything (Strong: Milvus waits for its newest time tick, ~200 ms),
/// or everything up to a hybrid timestamp (Session-style: no wait once Milvus has caught up with it).
enum ReadGuarantee: Sendable, Equatable {
    case strong
    case upTo(UInt64)

    func apply(_ level: inout Milvus_Proto_Common_ConsistencyLevel, _ timestamp: inout UInt64) {
        switch self {
        case .strong: level = .strong
        case .upTo(let ts): (level, timestamp) = (.session, ts)
        }
    }
}

/// The calls Vicinity makes, each checked: a failure status throws with Milvus's reason.
extension MilvusClient {
    func hasCollection(_ name: String) throws(MilvusError) -> Bool {
        let request = Milvus_Proto_Milvus_HasCollectionRequest.with { $0.collectionName = name }
        let reply = try call("HasCollection \(name)") { try await $0.hasCollection(request, options: $1) }
        try reply.status.check("HasCollection \(name)")
        return reply.value
    }

    func dropCollection(_ name: String) throws(MilvusError) {
        let request = Milvus_Proto_Milvus_DropCollectionRequest.with { $0.collectionName = name }
        try call("DropCollection \(name)") { try await $0.dropCollection(request, options: $1) }.check(
            "dropping \(name)")
    }

    func createCollection(_ schema: Milvus_Proto_Schema_CollectionSchema) throws(MilvusError) {
        let bytes: Data
        do { bytes = try schema.serializedData() } catch { throw .server("cannot encode the schema of \(schema.name)") }
        let request = Milvus_Proto_Milvus_CreateCollectionRequest.with {
            $0.collectionName = schema.name
            $0.schema = bytes
            $0.shardsNum = 1
            $0.consistencyLevel = .bounded
        }
        try call("CreateCollection \(schema.name)") { try await $0.createCollection(request, options: $1) }.check(
            "creating \(schema.name)")
    }

    func describe(_ name: String) throws(MilvusError) -> Milvus_Proto_Schema_CollectionSchema {
        let request = Milvus_Proto_Milvus_DescribeCollectionRequest.with { $0.collectionName = name }
        let reply = try call("DescribeCollection \(name)") { try await $0.describeCollection(request, options: $1) }
        try reply.status.check("describing \(name)")
        return reply.schema
    }

    /// Inserts (or upserts) one batch of columns; returns the write's timestamp.
    @discardableResult
    func insert(_ name: String, _ fields: [FieldData], rows: Int, upsert: Bool = false) throws(MilvusError) -> UInt64 {
        let what = "\(upsert ? "Upsert" : "Insert") of \(rows) rows into \(name)"
        let reply: Milvus_Proto_Milvus_MutationResult
        if upsert {
            let request = Milvus_Proto_Milvus_UpsertRequest.with {
                ($0.collectionName, $0.fieldsData, $0.numRows) = (name, fields, UInt32(rows))
            }
            reply = try call(what) { try await $0.upsert(request, options: $1) }
        } else {
            let request = Milvus_Proto_Milvus_InsertRequest.with {
                ($0.collectionName, $0.fieldsData, $0.numRows) = (name, fields, UInt32(rows))
            }
            reply = try call(what) { try await $0.insert(request, options: $1) }
        }
        try reply.status.check(what)
        return reply.timestamp
    }

    /// Deletes the rows an expression matches; returns the write's timestamp.
    @discardableResult
    func delete(_ name: String, where expr: String) throws(MilvusError) -> UInt64 {
        let request = Milvus_Proto_Milvus_DeleteRequest.with { ($0.collectionName, $0.expr) = (name, expr) }
        let reply = try call("Delete from \(name)") { try await $0.delete(request, options: $1) }
        try reply.status.check("Delete from \(name)")
        return reply.timestamp
    }

    /// Seals and persists what was inserted, waiting until Milvus reports it flushed.
    func flush(_ name: String, waitingUpTo limit: Duration = .seconds(300)) throws(MilvusError) {
        let request = Milvus_Proto_Milvus_FlushRequest.with { $0.collectionNames = [name] }
        let reply = try call("Flush \(name)") { try await $0.flush(request, options: $1) }
        try reply.status.check("flushing \(name)")
        let state = Milvus_Proto_Milvus_GetFlushStateRequest.with {
            $0.segmentIds = reply.collSegIds[name]?.data ?? []
            $0.flushTs = reply.collFlushTs[name] ?? 0
            $0.collectionName = name
        }
        try poll("flushing \(name)", limit) { () throws(MilvusError) in
            let s = try call("GetFlushState \(name)") { try await $0.getFlushState(state, options: $1) }
            try s.status.check("GetFlushState \(name)")
            return s.flushed
        }
    }

    func createIndex(_ name: String, field: String, type: String, metric: String) throws(MilvusError) {
        let request = Milvus_Proto_Milvus_CreateIndexRequest.with {
            $0.collectionName = name
            $0.fieldName = field
            $0.indexName = field + "_index"
            $0.extraParams = [
                .pair("index_type", type), .pair("metric_type", metric), .pair("params", "{}"),
            ]
        }
        try call("CreateIndex \(name)") { try await $0.createIndex(request, options: $1) }.check(
            "indexing \(name).\(field)")
    }

    /// Loads a collection into the query nodes and waits until it is searchable.
    func load(_ name: String, waitingUpTo limit: Duration = .seconds(300)) throws(MilvusError) {
        let request = Milvus_Proto_Milvus_LoadCollectionRequest.with {
            ($0.collectionName, $0.replicaNumber) = (name, 1)
        }
        try call("LoadCollection \(name)") { try await $0.loadCollection(request, options: $1) }.check(
            "loading \(name)")
        let progress = Milvus_Proto_Milvus_GetLoadingProgressRequest.with { $0.collectionName = name }
        try poll("loading \(name)", limit) { () throws(MilvusError) in
            let p = try call("GetLoadingProgress \(name)") { try await $0.getLoadingProgress(progress, options: $1) }
            try p.status.check("GetLoadingProgress \(name)")
            return p.progress >= 100
        }
    }

    /// A hybrid timestamp after every write Milvus has acknowledged.
    func allocTimestamp() throws(MilvusError) -> UInt64 {
        let reply = try call("AllocTimestamp") { try await $0.allocTimestamp(.init(), options: $1) }
        try reply.status.check("AllocTimestamp")
        return reply.timestamp
    }

    private func poll(_ what: String, _ limit: Duration, _ done: () throws(MilvusError) -> Bool) throws(MilvusError) {
        let start = ContinuousClock.now
        while try !done() {
            guard ContinuousClock.now - start < limit else {
                throw .server("Milvus at \(url.host):\(url.port) was still \(what) after \(limit)")
            }
            usleep(100_000)
        }
    }
}

extension Milvus_Proto_Common_KeyValuePair {
    static func pair(_ key: String, _ value: String) -> Self { .with { ($0.key, $0.value) = (key, value) } }
}
