import VicinityMath

/// Why a binary-code constructor rejected its input.
public enum BinaryCodesError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Code widths must lie in 1…1024 bits.
    case invalidBitCount(Int)
    /// A hex string had the wrong number of digits for the code width.
    case hexLength(code: Int, expected: Int, got: Int)
    /// A hex string held something other than 0-9, a-f, A-F.
    case nonHexCharacter(code: Int, position: Int, character: Character)
    /// A code had a bit set at or beyond the code width.
    case bitBeyondWidth(code: Int, bit: Int, bits: Int)
    /// A byte or word buffer's size is not a whole number of codes.
    case bufferSize(unit: String, expectedMultipleOf: Int, got: Int)

    public var description: String {
        switch self {
        case .invalidBitCount(let b):
            return "BinaryCodesError: code width must be 1…1024 bits, got \(b)"
        case .hexLength(let i, let expected, let got):
            return "BinaryCodesError: hex code \(i) has wrong length \(got), expected \(expected) hex digits"
        case .nonHexCharacter(let i, let pos, let c):
            return
                "BinaryCodesError: hex code \(i) has non-hex character \(String(reflecting: String(c))) at position \(pos)"
        case .bitBeyondWidth(let i, let bit, let bits):
            return "BinaryCodesError: code \(i) has bit \(bit) set beyond the code width of \(bits) bits"
        case .bufferSize(let unit, let multiple, let got):
            return "BinaryCodesError: buffer of \(got) \(unit) is not a multiple of \(multiple) \(unit) per code"
        }
    }
}

/// `count` binary codes of `bits` bits each (1…1024), packed into `UInt64` words.
///
/// Layout: code i occupies `words[i * wordsPerCode ..< (i + 1) * wordsPerCode]`
/// with `wordsPerCode = (bits + 63) / 64`. **Bit order:** bit j of a code is bit
/// `j % 64` (least significant first) of word `j / 64`. The unused high bits of a
/// code's last word are always zero; every constructor and mutator enforces it,
/// so kernels may popcount whole words.
///
/// Byte form (`toBytes`, `init(bytes:bits:)`, `hex`): each code is
/// `ceil(bits / 8)` bytes, byte b holding bits 8b…8b+7 with bit 8b+t at bit t of
/// the byte. This is faiss's `IndexBinary` byte-code layout and equals NumPy's
/// `np.packbits(bool_bits, axis=-1, bitorder='little')`; on a little-endian
/// machine it is also the first `ceil(bits/8)` bytes of the code's words.
public struct BinaryCodes: Sendable, Equatable {
    public let bits: Int
    public let wordsPerCode: Int
    /// The packed words, `count * wordsPerCode` of them.
    public private(set) var words: [UInt64]

    /// Mask of the valid bits of a code's last word.
    public var lastWordMask: UInt64 { BinaryCodes.lastWordMask(bits: bits) }
    /// Bytes per code in the byte (faiss) form.
    public var bytesPerCode: Int { (bits + 7) / 8 }
    public var count: Int { words.count / wordsPerCode }
    public var isEmpty: Bool { words.isEmpty }

    @usableFromInline static func lastWordMask(bits: Int) -> UInt64 {
        let r = bits % 64
        return r == 0 ? ~0 : (UInt64(1) << UInt64(r)) &- 1
    }

    /// An empty collection of `bits`-bit codes.
    public init(bits: Int) {
        precondition(bits >= 1 && bits <= 1024, BinaryCodesError.invalidBitCount(bits).description)
        self.bits = bits
        self.wordsPerCode = (bits + 63) / 64
        self.words = []
    }

    /// `count` all-zero codes.
    public init(bits: Int, count: Int) {
        self.init(bits: bits)
        precondition(count >= 0, "BinaryCodes: count must be non-negative, got \(count)")
        words = [UInt64](repeating: 0, count: count * wordsPerCode)
    }

    /// Codes from packed words in the layout above; throws if the word count is not a
    /// multiple of `wordsPerCode` or any bit beyond `bits` is set.
    public init(bits: Int, words: [UInt64]) throws {
        guard bits >= 1 && bits <= 1024 else { throw BinaryCodesError.invalidBitCount(bits) }
        self.init(bits: bits)
        guard words.count % wordsPerCode == 0 else {
            throw BinaryCodesError.bufferSize(unit: "words", expectedMultipleOf: wordsPerCode, got: words.count)
        }
        let mask = lastWordMask, wpc = wordsPerCode
        for i in 0..<(words.count / wpc) {
            let extra = words[i * wpc + wpc - 1] & ~mask
            if extra != 0 {
                throw BinaryCodesError.bitBeyondWidth(
                    code: i, bit: (wpc - 1) * 64 + extra.trailingZeroBitCount, bits: bits)
            }
        }
        self.words = words
    }

    /// The first `n` codes (all of them when there are fewer).
    public func prefix(_ n: Int) -> BinaryCodes {
        var first = BinaryCodes(bits: bits)
        first.words = Array(words.prefix(max(0, n) * wordsPerCode))
        return first
    }

    /// One code per matrix row, `bits = matrix.cols`: bit j is set when the row's
    /// value in column j is strictly greater than `threshold`.
    public init(thresholding matrix: Matrix, at threshold: Float = 0) {
        self.init(bits: matrix.cols, count: matrix.rows)
        let wpc = wordsPerCode, cols = matrix.cols, rows = matrix.rows
        matrix.storage.withUnsafeBufferPointer { src in
            words.withUnsafeMutableBufferPointer { dst in
                for i in 0..<rows {
                    let row = src.baseAddress! + i * cols
                    for w in 0..<wpc {
                        var word: UInt64 = 0
                        let lo = w * 64, hi = Swift.min(cols, lo + 64)
                        for j in lo..<hi where row[j] > threshold { word |= UInt64(1) << UInt64(j - lo) }
                        dst[i * wpc + w] = word
                    }
                }
            }
        }
    }

    /// Codes from their byte form (see the type's documentation): `bytes.count` must be a
    /// multiple of `ceil(bits/8)`, and no bit at or beyond `bits` may be set.
    public init(bytes: [UInt8], bits: Int) throws {
        guard bits >= 1 && bits <= 1024 else { throw BinaryCodesError.invalidBitCount(bits) }
        let bpc = (bits + 7) / 8
        guard bytes.count % bpc == 0 else {
            throw BinaryCodesError.bufferSize(unit: "bytes", expectedMultipleOf: bpc, got: bytes.count)
        }
        self.init(bits: bits, count: bytes.count / bpc)
        let wpc = wordsPerCode
        for i in 0..<count {
            for b in 0..<bpc {
                let byte = bytes[i * bpc + b]
                if byte != 0 {
                    let top = b * 8 + 7 - byte.leadingZeroBitCount
                    if top >= bits { throw BinaryCodesError.bitBeyondWidth(code: i, bit: top, bits: bits) }
                }
                words[i * wpc + b / 8] |= UInt64(byte) << UInt64((b % 8) * 8)
            }
        }
    }

    /// Codes from hex strings, one per code: the byte form written as two hex digits per
    /// byte, byte 0 first, so each string has `2 * ceil(bits/8)` digits. Parsing is
    /// case-insensitive; wrong lengths, non-hex characters and bits set beyond `bits`
    /// are rejected with a `BinaryCodesError`.
    public init(hex codes: [String], bits: Int) throws {
        guard bits >= 1 && bits <= 1024 else { throw BinaryCodesError.invalidBitCount(bits) }
        let bpc = (bits + 7) / 8
        var bytes = [UInt8]()
        bytes.reserveCapacity(codes.count * bpc)
        for (i, text) in codes.enumerated() {
            if let bad = text.enumerated().first(where: { !($0.element.isASCII && $0.element.isHexDigit) }) {
                throw BinaryCodesError.nonHexCharacter(code: i, position: bad.offset, character: bad.element)
            }
            let utf8 = Array(text.utf8)
            guard utf8.count == 2 * bpc else {
                throw BinaryCodesError.hexLength(code: i, expected: 2 * bpc, got: utf8.count)
            }
            func nibble(_ c: UInt8) -> UInt8 {
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
                default: return c - UInt8(ascii: "A") + 10
                }
            }
            for b in 0..<bpc { bytes.append(nibble(utf8[2 * b]) << 4 | nibble(utf8[2 * b + 1])) }
        }
        try self.init(bytes: bytes, bits: bits)
    }

    /// One code from its hex form; see `init(hex:bits:)` for arrays.
    public init(hex code: String, bits: Int) throws {
        try self.init(hex: [code], bits: bits)
    }

    // MARK: Access

    /// A copy of code i's words.
    public func code(_ i: Int) -> [UInt64] {
        precondition(i >= 0 && i < count, "code \(i) outside 0..<\(count)")
        return Array(words[i * wordsPerCode..<(i + 1) * wordsPerCode])
    }

    /// Bit j of code i.
    public func bit(_ i: Int, _ j: Int) -> Bool {
        precondition(
            i >= 0 && i < count && j >= 0 && j < bits, "bit (\(i), \(j)) outside \(count) codes of \(bits) bits")
        return words[i * wordsPerCode + j / 64] >> UInt64(j % 64) & 1 == 1
    }

    /// Sets or clears bit j of code i.
    public mutating func setBit(_ i: Int, _ j: Int, _ value: Bool) {
        precondition(
            i >= 0 && i < count && j >= 0 && j < bits, "bit (\(i), \(j)) outside \(count) codes of \(bits) bits")
        let m = UInt64(1) << UInt64(j % 64)
        if value { words[i * wordsPerCode + j / 64] |= m } else { words[i * wordsPerCode + j / 64] &= ~m }
    }

    /// Flips bit j of code i.
    public mutating func flipBit(_ i: Int, _ j: Int) { setBit(i, j, !bit(i, j)) }

    /// Appends one code given as `wordsPerCode` words; traps if a bit beyond `bits` is set.
    public mutating func append(_ code: [UInt64]) {
        precondition(code.count == wordsPerCode, "append: code has \(code.count) words, expected \(wordsPerCode)")
        precondition(code[wordsPerCode - 1] & ~lastWordMask == 0, "append: code has bits set beyond \(bits) bits")
        words += code
    }

    /// Appends all codes of `other` (same width).
    public mutating func append(contentsOf other: BinaryCodes) {
        precondition(other.bits == bits, "append: codes have \(other.bits) bits, expected \(bits)")
        words += other.words
    }

    /// Removes the last code.
    public mutating func removeLast() {
        precondition(count > 0, "removeLast on empty BinaryCodes")
        words.removeLast(wordsPerCode)
    }

    /// Moves the last code into slot i and drops the last slot (O(1) removal; reorders).
    public mutating func swapRemove(_ i: Int) {
        precondition(i >= 0 && i < count, "swapRemove: code \(i) outside 0..<\(count)")
        let last = count - 1, wpc = wordsPerCode
        if i != last { for w in 0..<wpc { words[i * wpc + w] = words[last * wpc + w] } }
        words.removeLast(wpc)
    }

    /// The codes at the given positions, in order.
    public func codes(_ indices: some Collection<Int>) -> BinaryCodes {
        var out = BinaryCodes(bits: bits)
        out.words.reserveCapacity(indices.count * wordsPerCode)
        for i in indices {
            precondition(i >= 0 && i < count, "code \(i) outside 0..<\(count)")
            out.words += words[i * wordsPerCode..<(i + 1) * wordsPerCode]
        }
        return out
    }

    // MARK: Byte and hex forms

    /// All codes in the byte form, `count * ceil(bits/8)` bytes (faiss / `np.packbits(bitorder='little')`).
    public func toBytes() -> [UInt8] {
        let bpc = bytesPerCode, wpc = wordsPerCode
        var out = [UInt8](repeating: 0, count: count * bpc)
        for i in 0..<count {
            for b in 0..<bpc {
                out[i * bpc + b] = UInt8(truncatingIfNeeded: words[i * wpc + b / 8] >> UInt64((b % 8) * 8))
            }
        }
        return out
    }

    /// Code i's byte form as lowercase hex, `2 * ceil(bits/8)` digits, byte 0 first.
    public func hex(_ i: Int) -> String {
        precondition(i >= 0 && i < count, "code \(i) outside 0..<\(count)")
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(2 * bytesPerCode)
        for b in 0..<bytesPerCode {
            let byte = UInt8(truncatingIfNeeded: words[i * wordsPerCode + b / 8] >> UInt64((b % 8) * 8))
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
