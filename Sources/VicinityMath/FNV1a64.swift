/// FNV-1a, 64 bits: the content hash behind data, model and store fingerprints. `combine(bytes:)`
/// is the classic byte-wise hash; `combine(_:)` and `combine(words:)` feed 64-bit words (8× fewer
/// multiply steps) for large float arrays.
public struct FNV1a64: Sendable {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
    private static let prime: UInt64 = 0x0000_0100_0000_01b3

    public init() {}

    @inline(__always)
    public mutating func combine(_ word: UInt64) {
        value = (value ^ word) &* Self.prime
    }

    public mutating func combine(words raw: UnsafeRawBufferPointer) {
        guard let base = raw.baseAddress else { return }
        let whole = raw.count / 8
        var h = value
        for i in 0..<whole {
            h = (h ^ UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))) &* Self.prime
        }
        var tail: UInt64 = 0
        let rest = raw.count - whole * 8
        for j in 0..<rest { tail |= UInt64(raw[whole * 8 + j]) << (8 * UInt64(j)) }
        if rest > 0 { h = (h ^ tail) &* Self.prime }
        value = h
    }

    /// One byte at a time: classic FNV-1a over a byte string.
    public mutating func combine(bytes raw: UnsafeRawBufferPointer) {
        var h = value
        for b in raw { h = (h ^ UInt64(b)) &* Self.prime }
        value = h
    }

    /// The value as 16 lower-case hex digits.
    public var hex: String {
        let s = String(value, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
