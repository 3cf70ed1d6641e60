import Foundation
import SwiftProtobuf
import Testing

@testable import VicinityMilvus

/// The hand-written protos must put every field where Milvus's own protos do: these pin the
/// wire bytes of the fields Vicinity sends and reads.
@Suite struct MilvusProtoTests {
    @Test func requestFieldsHaveMilvusFieldNumbers() throws {
        // HasCollectionRequest.collection_name = 3 (length-delimited: tag 3 << 3 | 2 = 0x1a).
        let has = Milvus_Proto_Milvus_HasCollectionRequest.with { $0.collectionName = "ab" }
        #expect([UInt8](try has.serializedData()) == [0x1a, 2, 0x61, 0x62])
        // SearchRequest: nq = 12, guarantee_timestamp = 11, consistency_level = 14 (Session = 1).
        var search = Milvus_Proto_Milvus_SearchRequest()
        search.nq = 1
        ReadGuarantee.upTo(5).apply(&search.consistencyLevel, &search.guaranteeTimestamp)
        #expect([UInt8](try search.serializedData()) == [0x58, 5, 0x60, 1, 0x70, 1])
        // QueryRequest.expr = 4, consistency_level = 11 (Strong = 0 is the default: not sent).
        var query = Milvus_Proto_Milvus_QueryRequest.with { $0.expr = "x" }
        ReadGuarantee.strong.apply(&query.consistencyLevel, &query.guaranteeTimestamp)
        #expect([UInt8](try query.serializedData()) == [0x22, 1, 0x78])
    }

    @Test func replyFieldsAreReadFromMilvusFieldNumbers() throws {
        // MutationResult.timestamp = 9 (varint: 0x48); Status.code = 3, reason = 2.
        let mutation = try Milvus_Proto_Milvus_MutationResult(serializedBytes: [0x48, 0x96, 0x01] as [UInt8])
        #expect(mutation.timestamp == 150)
        let status = try Milvus_Proto_Common_Status(serializedBytes: [0x18, 65, 0x12, 2, 0x6e, 0x6f] as [UInt8])
        #expect(status.code == 65 && status.reason == "no" && status.failed)
        #expect(throws: MilvusError.server("Milvus refused X: no")) { try status.check("X") }
        // SearchResultData: scores = 4 (packed floats), ids = 5 with str_id = 2.
        let result = try Milvus_Proto_Schema_SearchResultData(
            serializedBytes: [0x22, 4, 0, 0, 0x80, 0x3f, 0x2a, 5, 0x12, 3, 0x0a, 1, 0x61] as [UInt8])
        #expect(result.scores == [1] && result.ids.strID.data == ["a"])
    }

    @Test func columnsRoundTripThroughTheWire() throws {
        let fields = [
            Column.strings("id", ["a", "b"]), Column.longs("row", [0, 7]),
            Column.floatVectors("code", dims: 2, [1, 2, 3, 4]), Column.binaryVectors("bits", bytes: 1, [0x0f, 0xf0]),
        ]
        let insert = Milvus_Proto_Milvus_InsertRequest.with { ($0.fieldsData, $0.numRows) = (fields, 2) }
        let back = try Milvus_Proto_Milvus_InsertRequest(serializedBytes: try insert.serializedData())
        let columns = Columns(fields: back.fieldsData)
        #expect(columns.strings("id") == ["a", "b"] && columns.longs("row") == [0, 7])
        #expect(columns.floats("code") == [1, 2, 3, 4] && columns.bytes("bits") == [0x0f, 0xf0])
        #expect(columns.field("bits")?.vectors.dim == 8)  // Milvus counts binary dimensions in bits
        #expect(columns.longs("missing") == [])
        #expect([UInt8](littleEndianBytes([1, -2])) == [0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0])
    }

    @Test func layoutTravelsInTheCollectionDescription() throws {
        let layout = MilvusLayout(store: "fashion", modelFingerprint: "00ff00ff00ff00ff", codeDims: 30, bits: 64)
        let url = try MilvusURL(parsing: "milvus://h:1/f")
        let schema = layout.codesSchema(url)
        #expect(schema.name == "f_codes" && schema.fields.map(\.name) == ["id", "label", "row", "code"])
        #expect(schema.fields[0].isPrimaryKey && schema.fields[0].dataType == .varChar)
        #expect(layout.bitsSchema(url).fields[3].typeParams == [.pair("dim", "64")])
        #expect(try MilvusLayout(description: schema.description_p, collection: "f_codes") == layout)
        #expect(throws: MilvusError.self) { try MilvusLayout(description: "bits of f_codes", collection: "f_bits") }
    }
}
