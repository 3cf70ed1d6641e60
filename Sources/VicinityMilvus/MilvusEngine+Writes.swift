import Foundation
import VicinityCodes
import VicinityMath
import VicinityServer
import VicinityStore

/// ADD and DEL, mirrored in both collections with the rows the local store would give: an
/// added item takes the next row; a deleted item's row goes to the last item (the store's
/// swap-last removal), which is upserted with its new row. Reads after a write are guaranteed
/// at its timestamp, so the next query sees it.
extension MilvusEngine {
    public func add(id: String, label: Int, pixels: [Float]) throws {
        do { try CodeStore.validateID(id) } catch { throw EngineError("BADID", "\(error)") }
        let (codes, bits) = try embed(pixels)
        try insert(id: id, label: label, code: codes.row(0), bits: bits)
    }

    public func add(id: String, label: Int, code: [Float]) throws {
        do { try CodeStore.validateID(id) } catch { throw EngineError("BADID", "\(error)") }
        guard code.count == layout.codeDims else {
            throw EngineError("DIM", "the code has \(code.count) values; codes have \(layout.codeDims)")
        }
        var bits = BinaryCodes(bits: 1)
        if layout.bits > 0 {
            guard let encoder else {
                throw EngineError(
                    "NOMODEL", "this store keeps bits, which come from the model; start the server with --model")
            }
            bits = encoder.bits(ofCodes: Matrix(rows: 1, cols: code.count, storage: code))
        }
        try insert(id: id, label: label, code: code, bits: bits)
    }

    private func insert(id: String, label: Int, code: [Float], bits: BinaryCodes) throws {
        try writer.withLock { _ in
            guard try lookUp(url.codesCollection, id: id, field: MilvusLayout.rowField) == nil else {
                throw EngineError("EXISTS", "id '\(id)' is already stored; DEL it first")
            }
            let row = count()
            let stamp = try milvus {
                // An upsert, not an insert: a retried call must not store the item twice.
                try put(MovedItem(id: id, label: label, code: code, bits: bits.toBytes()), row: row)
            }
            tracking.withLock { $0 = Tracking(count: row + 1, seen: max($0.seen, stamp)) }
        }
    }

    public func delete(_ id: String) throws -> Bool {
        try writer.withLock { _ in
            guard let found = try lookUp(url.codesCollection, id: id, field: MilvusLayout.rowField),
                let row = found.longs(MilvusLayout.rowField).first
            else { return false }
            let last = count() - 1
            let moved = row == last ? nil : try item(atRow: last)
            let stamp = try milvus {
                let expr = "\(MilvusLayout.idField) in [\(milvusLiteral(id))]"
                var stamp = try client.delete(url.codesCollection, where: expr)
                if layout.bits > 0 { stamp = max(stamp, try client.delete(url.bitsCollection, where: expr)) }
                if let moved { stamp = max(stamp, try put(moved, row: row)) }
                return stamp
            }
            tracking.withLock { $0 = Tracking(count: last, seen: max($0.seen, stamp)) }
            return true
        }
    }

    /// An item as both collections hold it, to write it again at another row.
    struct MovedItem {
        var id: String
        var label: Int
        var code: [Float]
        var bits: [UInt8]
    }

    private func item(atRow row: Int) throws -> MovedItem {
        let codes = try lookUp(
            url.codesCollection, row: row, fields: [MilvusLayout.labelField, MilvusLayout.codeField])
        let id = codes.strings(MilvusLayout.idField)[0]
        var bits: [UInt8] = []
        if layout.bits > 0 {
            let found = try lookUp(url.bitsCollection, row: row, fields: [MilvusLayout.bitsField])
            guard found.strings(MilvusLayout.idField).first == id else {
                throw EngineError("BACKEND", "\(url.codesCollection) and \(url.bitsCollection) disagree at row \(row)")
            }
            bits = found.bytes(MilvusLayout.bitsField)
        }
        return MovedItem(
            id: id, label: codes.longs(MilvusLayout.labelField).first ?? -1, code: codes.floats(MilvusLayout.codeField),
            bits: bits)
    }

    /// Writes (upserts) an item at a row into both collections; returns the later write's timestamp.
    private func put(_ item: MovedItem, row: Int) throws(MilvusError) -> UInt64 {
        let common = [
            Column.strings(MilvusLayout.idField, [item.id]), Column.longs(MilvusLayout.labelField, [item.label]),
            Column.longs(MilvusLayout.rowField, [row]),
        ]
        var stamp = try client.insert(
            url.codesCollection,
            common + [Column.floatVectors(MilvusLayout.codeField, dims: layout.codeDims, item.code)],
            rows: 1, upsert: true)
        if layout.bits > 0 {
            let bits = Column.binaryVectors(MilvusLayout.bitsField, bytes: layout.bytesPerCode, item.bits)
            stamp = max(stamp, try client.insert(url.bitsCollection, common + [bits], rows: 1, upsert: true))
        }
        return stamp
    }
}
