import VicinityProtocol
/// Parsing of command arguments, each failure an `EngineError` that names the argument.

func positive(_ text: String, _ name: String, max: Int) throws -> Int {
    guard let v = Int(text), v >= 1, v <= max else {
        throw EngineError("BADARG", "\(name) must be an integer in 1...\(max), got '\(text)'")
    }
    return v
}

/// Comma-separated finite numbers.
func numbers(_ text: String, _ what: String) throws -> [Float] {
    var out: [Float] = []
    for (i, part) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
        guard let v = Float(part), v.isFinite else {
            throw EngineError("BADARG", "\(what) value \(i + 1) is not a finite number: '\(part)'")
        }
        out.append(v)
    }
    return out
}

/// Comma-separated pixel values 0–255, scaled to [0, 1].
func pixels(_ text: String) throws -> [Float] {
    let values = try numbers(text, "RAW")
    if let bad = values.firstIndex(where: { $0 < 0 || $0 > 255 }) {
        throw EngineError("BADARG", "RAW pixel \(bad + 1) is \(values[bad]); pixels are 0–255")
    }
    return values.map { $0 / 255 }
}

/// Little-endian float32 values, as `VADD … FP32` and `VSIM … FP32` send them.
func float32s(_ bytes: [UInt8], _ what: String) throws -> [Float] {
    guard !bytes.isEmpty, bytes.count % 4 == 0 else {
        throw EngineError("BADARG", "\(what) blob has \(bytes.count) bytes; it must be a non-empty multiple of 4")
    }
    var out = [Float](repeating: 0, count: bytes.count / 4)
    for i in out.indices {
        let bits =
            UInt32(bytes[4 * i]) | UInt32(bytes[4 * i + 1]) << 8 | UInt32(bytes[4 * i + 2]) << 16
            | UInt32(bytes[4 * i + 3]) << 24
        out[i] = Float(bitPattern: bits)
        guard out[i].isFinite else { throw EngineError("BADARG", "\(what) value \(i + 1) is not a finite number") }
    }
    return out
}

/// An integer argument in Redis's wording when it is not one.
func integer(_ text: String, _ range: ClosedRange<Int> = Int.min...Int.max) throws -> Int {
    guard let v = Int(text), range.contains(v) else {
        throw EngineError("BADARG", "value is not an integer or out of range")
    }
    return v
}

/// The shortest text that reads back as the same Float.
func formatFloat(_ v: Float) -> String {
    v == v.rounded() && abs(v) < 1e7 ? String(Int(v)) : "\(v)"
}

/// Comparison whose time does not depend on where the strings first differ.
func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    var diff = UInt8(x.count == y.count ? 0 : 1)
    for i in 0..<max(x.count, y.count) { diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0) }
    return diff == 0
}
