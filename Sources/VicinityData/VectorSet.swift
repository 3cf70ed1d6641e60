import VicinityMath

/// Vectors brought from elsewhere (`vicinity embed --vectors`): float codes, optional packed
/// bits, ids and labels, checked against each other.
public struct VectorSet: Sendable {
    /// N×D float codes.
    public var codes: Matrix
    /// Bits per item (8 × the bits array's width), 0 without bits.
    public var bitCount: Int
    /// ⌈bitCount/64⌉ words per item, bit j of an item in word j/64 at position j%64: byte b of a
    /// row holds bits 8b…8b+7, least significant first (faiss's `IndexBinary` layout).
    public var bits: [UInt64]
    public var ids: [String]
    public var labels: [Int]

    public var count: Int { codes.rows }
    public var wordsPerItem: Int { (bitCount + 63) / 64 }

    /// `vectors`: float32/float64 (N, D). `bits`: uint8 (N, W), packed bytes. `ids`: a text file of
    /// N lines (default: the row numbers). `labels`: an integer (N,) array (default: -1).
    public static func load(
        vectors: String, bits bitsPath: String? = nil, ids idsPath: String? = nil,
        labels labelsPath: String? = nil
    ) throws -> VectorSet {
        let codes = try readNPY(vectors).floatMatrix(path: vectors)
        let n = codes.rows
        guard n > 0, codes.cols > 0 else {
            throw DataError.malformed(path: vectors, detail: "no vectors (shape \(n)×\(codes.cols))")
        }
        if let i = codes.storage.firstIndex(where: { !$0.isFinite }) {
            throw DataError.malformed(
                path: vectors, detail: "row \(i / codes.cols) holds a value that is not finite (\(codes.storage[i]))")
        }
        var bitCount = 0, words: [UInt64] = []
        if let bitsPath { (bitCount, words) = try readPackedBits(bitsPath, rows: n) }
        let ids = try idsPath.map { try readIDs($0, rows: n) } ?? (0..<n).map(String.init)
        let labels = try labelsPath.map { try readLabels($0, rows: n) } ?? [Int](repeating: -1, count: n)
        return VectorSet(codes: codes, bitCount: bitCount, bits: words, ids: ids, labels: labels)
    }

    /// Packed bits: uint8 (N, W), bit i of an item in byte i/8 at position i%8, as faiss's IndexBinary.
    static func readPackedBits(_ bitsPath: String, rows: Int) throws -> (bitCount: Int, words: [UInt64]) {
        let b = try readNPY(bitsPath)
        guard b.kind == .uint8, b.shape.count == 2 else {
            throw DataError.unsupported(
                path: bitsPath,
                detail:
                    "bits must be a uint8 array of shape (N, bytes) (packed, as faiss's IndexBinary takes them), got \(b.kind.rawValue) \(b.shape)"
            )
        }
        guard b.shape[0] == rows else {
            throw DataError.malformed(path: bitsPath, detail: "\(b.shape[0]) rows of bits for \(rows) vectors")
        }
        let width = b.shape[1]
        guard width >= 1 && width <= 128 else {
            throw DataError.malformed(path: bitsPath, detail: "\(width * 8) bits per item (8…1024 allowed)")
        }
        let bitCount = width * 8
        let perItem = (bitCount + 63) / 64
        var words = [UInt64](repeating: 0, count: rows * perItem)
        for i in 0..<rows {
            for k in 0..<width {
                words[i * perItem + k / 8] |= UInt64(b.data[i * width + k]) << UInt64(8 * (k % 8))
            }
        }
        return (bitCount, words)
    }

    /// One id per line, unique, without spaces or tabs.
    static func readIDs(_ idsPath: String, rows: Int) throws -> [String] {
        let text = String(decoding: try readRawFileBytes(idsPath), as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        if lines.last == "" { lines.removeLast() }
        guard lines.count == rows else {
            throw DataError.malformed(path: idsPath, detail: "\(lines.count) ids for \(rows) vectors")
        }
        var seen: [String: Int] = [:]
        for (i, id) in lines.enumerated() {
            guard !id.isEmpty, !id.contains(where: { $0 == " " || $0 == "\t" }), id.utf8.count <= 500 else {
                throw DataError.malformed(
                    path: idsPath, detail: "line \(i + 1): an id must be 1–500 bytes without spaces or tabs")
            }
            if let first = seen[id] {
                throw DataError.malformed(
                    path: idsPath, detail: "line \(i + 1): id \(id) already on line \(first + 1)")
            }
            seen[id] = i
        }
        return lines
    }

    /// An integer (N,) or (N, 1) array of labels in −1…2³¹−1.
    static func readLabels(_ labelsPath: String, rows: Int) throws -> [Int] {
        let y = try readNPY(labelsPath)
        guard y.kind != .float32 && y.kind != .float64, y.shape == [rows] || y.shape == [rows, 1] else {
            throw DataError.malformed(
                path: labelsPath,
                detail: "labels must be an integer array of shape (\(rows),), got \(y.kind.rawValue) \(y.shape)")
        }
        return try y.labels(path: labelsPath)
    }
}
