import Foundation

/// How a store sits in Milvus: a collection of float codes (`NAME_codes`: FLAT index, L2, which
/// Milvus computes as the squared distance Vicinity uses) and, when the store keeps bits, one of
/// packed bits (`NAME_bits`: BIN_FLAT, HAMMING). Both hold `id` (VarChar primary key), `label` and
/// `row` (the item's row in the store, which orders ties as the local engine does). The codes
/// collection's description carries the store's meta as JSON, so a server knows the model.
public struct MilvusLayout: Sendable, Equatable {
    public var store: String
    public var modelFingerprint: String
    public var codeDims: Int
    public var bits: Int

    public init(store: String, modelFingerprint: String, codeDims: Int, bits: Int) {
        (self.store, self.modelFingerprint, self.codeDims, self.bits) = (store, modelFingerprint, codeDims, bits)
    }

    public var bytesPerCode: Int { (bits + 7) / 8 }
    static let idField = "id", labelField = "label", rowField = "row", codeField = "code", bitsField = "bits"
    /// Milvus's cap on a search's `limit` (topk), which also caps a range search's hits.
    public static let searchCap = 16_384

    /// The meta as the codes collection's description.
    var description: String {
        let object: [String: Any] = [
            "vicinity_store": store, "model_fingerprint": modelFingerprint, "code_dims": codeDims, "bits": bits,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Reads the meta back from a codes collection's description.
    init(description text: String, collection: String) throws(MilvusError) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            let store = object["vicinity_store"] as? String, let fingerprint = object["model_fingerprint"] as? String,
            let dims = object["code_dims"] as? Int, let bits = object["bits"] as? Int
        else {
            throw .mismatch(
                "collection \(collection) was not written by vicinity export (its description holds no store meta)")
        }
        self.init(store: store, modelFingerprint: fingerprint, codeDims: dims, bits: bits)
    }

    func codesSchema(_ url: MilvusURL) -> Milvus_Proto_Schema_CollectionSchema {
        schema(url.codesCollection, vector: Self.codeField, type: .floatVector, dim: codeDims, description: description)
    }

    func bitsSchema(_ url: MilvusURL) -> Milvus_Proto_Schema_CollectionSchema {
        schema(
            url.bitsCollection, vector: Self.bitsField, type: .binaryVector, dim: bytesPerCode * 8,
            description: "bits of \(url.codesCollection)")
    }

    private func schema(
        _ name: String, vector: String, type: Milvus_Proto_Schema_DataType, dim: Int, description: String
    ) -> Milvus_Proto_Schema_CollectionSchema {
        .with {
            $0.name = name
            $0.description_p = description
            $0.fields = [
                .with {
                    ($0.fieldID, $0.name, $0.isPrimaryKey, $0.dataType) = (100, Self.idField, true, .varChar)
                    $0.typeParams = [.pair("max_length", "255")]  // ids are at most 255 bytes (CodeStore.validateID)
                },
                .with { ($0.fieldID, $0.name, $0.dataType) = (101, Self.labelField, .int64) },
                .with { ($0.fieldID, $0.name, $0.dataType) = (102, Self.rowField, .int64) },
                .with {
                    ($0.fieldID, $0.name, $0.dataType) = (103, vector, type)
                    $0.typeParams = [.pair("dim", "\(dim)")]
                },
            ]
        }
    }
}
