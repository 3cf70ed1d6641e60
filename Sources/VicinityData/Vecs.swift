import VicinityMath

/// Vectors in the faiss / ann-benchmarks `.fvecs` / `.ivecs` / `.bvecs`
/// formats: each record is a little-endian Int32 dimension d followed by d
/// elements (little-endian Float32, little-endian Int32, or UInt8).
public struct VectorFile<Element: Sendable>: Sendable {
    public let count: Int
    public let dim: Int
    /// Row-major, `count * dim` values.
    public let values: [Element]

    public init(count: Int, dim: Int, values: [Element]) {
        precondition(
            count >= 0 && dim >= 0 && values.count == count * dim,
            "\(count) vectors of dimension \(dim) need \(count * dim) values, got \(values.count)")
        self.count = count
        self.dim = dim
        self.values = values
    }

    /// Vector `i` as a slice of `values`.
    public subscript(i: Int) -> ArraySlice<Element> { values[i * dim..<(i + 1) * dim] }
}

extension VectorFile where Element == Float {
    public var matrix: Matrix { Matrix(rows: count, cols: dim, storage: values) }
    public init(_ m: Matrix) { self.init(count: m.rows, dim: m.cols, values: m.storage) }
}

public func readFvecs(_ path: String) throws -> VectorFile<Float> {
    try readVecs(path, width: 4) { Float(bitPattern: UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self))) }
}

public func readIvecs(_ path: String) throws -> VectorFile<Int32> {
    try readVecs(path, width: 4) { Int32(littleEndian: $0.loadUnaligned(as: Int32.self)) }
}

public func readBvecs(_ path: String) throws -> VectorFile<UInt8> {
    try readVecs(path, width: 1) { $0.load(as: UInt8.self) }
}

public func writeFvecs(_ vectors: VectorFile<Float>, to path: String) throws {
    try writeVecs(vectors, to: path, width: 4) { v, p in p.storeBytes(of: v.bitPattern.littleEndian, as: UInt32.self) }
}

public func writeIvecs(_ vectors: VectorFile<Int32>, to path: String) throws {
    try writeVecs(vectors, to: path, width: 4) { v, p in p.storeBytes(of: v.littleEndian, as: Int32.self) }
}

public func writeBvecs(_ vectors: VectorFile<UInt8>, to path: String) throws {
    try writeVecs(vectors, to: path, width: 1) { v, p in p.storeBytes(of: v, as: UInt8.self) }
}

/// Shared reader: the first record fixes d, every later record must repeat
/// it, and the file must end exactly at a record boundary. An empty file is
/// zero vectors of dimension 0.
private func readVecs<T>(
    _ path: String, width: Int,
    _ load: (UnsafeRawPointer) -> T
) throws -> VectorFile<T> {
    let bytes = try readFileBytes(path)
    if bytes.isEmpty { return VectorFile(count: 0, dim: 0, values: []) }
    return try bytes.withUnsafeBytes { raw in
        let base = raw.baseAddress!
        guard raw.count >= 4 else {
            throw DataError.truncated(path: path, detail: "file has \(raw.count) bytes, too short for a vector header")
        }
        let d = Int(Int32(littleEndian: base.loadUnaligned(as: Int32.self)))
        guard d > 0 && d <= 1 << 24 else {
            throw DataError.malformed(path: path, detail: "first vector has dimension \(d)")
        }
        let record = 4 + d * width
        // Walk the record headers first so a bad d is reported as such,
        // not as a length that happens not to divide evenly.
        var n = 0
        var offset = 0
        while offset < raw.count {
            let left = raw.count - offset
            if left < 4 {
                throw DataError.truncated(path: path, detail: "vector \(n) header has \(left) of 4 bytes")
            }
            let di = Int(Int32(littleEndian: (base + offset).loadUnaligned(as: Int32.self)))
            if di != d {
                throw DataError.malformed(path: path, detail: "vector \(n) has dimension \(di), vector 0 has \(d)")
            }
            if left < record {
                throw DataError.truncated(
                    path: path, detail: "vector \(n) of dimension \(d) needs \(record) bytes, file has \(left) left")
            }
            offset += record
            n += 1
        }
        let values = [T](unsafeUninitializedCapacity: n * d) { dst, initialized in
            for i in 0..<n {
                let r = base + i * record + 4
                let out = dst.baseAddress! + i * d
                for j in 0..<d { (out + j).initialize(to: load(r + j * width)) }
            }
            initialized = n * d
        }
        return VectorFile(count: n, dim: d, values: values)
    }
}

private func writeVecs<T>(
    _ v: VectorFile<T>, to path: String, width: Int,
    _ store: (T, UnsafeMutableRawPointer) -> Void
) throws {
    guard v.count == 0 || v.dim > 0 else {
        throw DataError.invalidArgument(path: path, detail: "cannot write vectors of dimension 0")
    }
    let record = 4 + v.dim * width
    var bytes = [UInt8](repeating: 0, count: v.count * record)
    bytes.withUnsafeMutableBytes { raw in
        guard let base = raw.baseAddress else { return }
        v.values.withUnsafeBufferPointer { src in
            for i in 0..<v.count {
                let r = base + i * record
                r.storeBytes(of: Int32(v.dim).littleEndian, as: Int32.self)
                for j in 0..<v.dim { store(src[i * v.dim + j], r + 4 + j * width) }
            }
        }
    }
    try writeFileBytes(path, bytes)
}
