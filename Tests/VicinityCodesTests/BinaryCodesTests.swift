import Testing
import VicinityMath
@testable import VicinityCodes
let testWidths = [1, 63, 64, 65, 127, 128, 129, 256, 1024]

/// Random codes of `bits` bits, built bit by bit through the public setter.
func randomCodes(_ count: Int, bits: Int, seed: UInt64) -> BinaryCodes {
    var rng = SeededRNG(seed: seed)
    var codes = BinaryCodes(bits: bits, count: count)
    for i in 0..<count { for j in 0..<bits where rng.next() & 1 == 1 { codes.setBit(i, j, true) } }
    return codes
}

@Suite struct BinaryCodesTests {
    @Test(arguments: testWidths)
    func thresholdingSetsBitsAboveTheThreshold(bits: Int) {
        var rng = SeededRNG(seed: UInt64(bits))
        let m = Matrix(rows: 7, cols: bits, storage: rng.gaussians(7 * bits))
        let codes = BinaryCodes(thresholding: m, at: 0.25)
        #expect(codes.count == 7 && codes.bits == bits && codes.wordsPerCode == (bits + 63) / 64)
        #expect(codes.words.count == 7 * codes.wordsPerCode)
        for i in 0..<7 { for j in 0..<bits { #expect(codes.bit(i, j) == (m[i, j] > 0.25)) } }
        // Unused high bits of the last word are zero.
        for i in 0..<7 { #expect(codes.code(i).last! & ~codes.lastWordMask == 0) }
        // A value equal to the threshold is not above it.
        let edge = BinaryCodes(thresholding: Matrix(rows: 1, cols: bits, repeating: 0.25), at: 0.25)
        #expect(edge.words.allSatisfy { $0 == 0 })
    }

    @Test(arguments: testWidths)
    func bytesAndHexRoundTrip(bits: Int) throws {
        let codes = randomCodes(5, bits: bits, seed: 99 &+ UInt64(bits))
        let bytes = codes.toBytes()
        #expect(bytes.count == 5 * ((bits + 7) / 8))
        // Byte b holds bits 8b…8b+7, bit 8b+t at bit t (np.packbits bitorder='little').
        for i in 0..<5 {
            for j in 0..<bits {
                let byte = bytes[i * codes.bytesPerCode + j / 8]
                #expect((byte >> UInt8(j % 8)) & 1 == (codes.bit(i, j) ? 1 : 0))
            }
        }
        #expect(try BinaryCodes(bytes: bytes, bits: bits) == codes)
        let hex = (0..<5).map { codes.hex($0) }
        #expect(hex.allSatisfy { $0.count == 2 * ((bits + 7) / 8) && $0 == $0.lowercased() })
        #expect(try BinaryCodes(hex: hex, bits: bits) == codes)
        #expect(try BinaryCodes(hex: hex.map { $0.uppercased() }, bits: bits) == codes)
        #expect(try BinaryCodes(bits: bits, words: codes.words) == codes)
    }

    @Test(arguments: testWidths)
    func emptyCollectionsRoundTrip(bits: Int) throws {
        let empty = BinaryCodes(bits: bits)
        #expect(empty.count == 0 && empty.isEmpty && empty.toBytes().isEmpty)
        #expect(try BinaryCodes(bytes: [], bits: bits) == empty)
        #expect(try BinaryCodes(hex: [], bits: bits) == empty)
        #expect(BinaryCodes(thresholding: Matrix(rows: 0, cols: bits)) == empty)
    }

    @Test func hexFormIsTheFaissByteLayout() throws {
        // bits 0 and 9 set in a 12-bit code: byte 0 = 0x01, byte 1 = 0x02.
        var c = BinaryCodes(bits: 12, count: 1)
        c.setBit(0, 0, true)
        c.setBit(0, 9, true)
        #expect(c.hex(0) == "0102")
        #expect(c.toBytes() == [0x01, 0x02])
        #expect(try BinaryCodes(hex: "0102", bits: 12) == c)
        #expect(try BinaryCodes(hex: "FF0F", bits: 12).words == [0xFFF])
    }

    @Test func badHexIsRejectedNamingTheProblem() {
        func message(_ hex: String, bits: Int) -> String {
            do { _ = try BinaryCodes(hex: hex, bits: bits); return "accepted" } catch { return "\(error)" }
        }
        #expect(message("abc", bits: 16).contains("wrong length 3, expected 4"))
        #expect(message("abcdef", bits: 16).contains("wrong length 6"))
        #expect(message("ab-d", bits: 16).contains("non-hex character \"-\" at position 2"))
        #expect(message("0g00", bits: 16).contains("non-hex character \"g\""))
        #expect(message("00é0", bits: 16).contains("non-hex character"))
        #expect(message("0010", bits: 12).contains("bit 12 set beyond the code width of 12 bits"))
        #expect(message("02", bits: 1).contains("bit 1 set beyond"))
        #expect(message("00", bits: 0).contains("1…1024"))
        #expect(throws: BinaryCodesError.hexLength(code: 1, expected: 2, got: 1)) {
            try BinaryCodes(hex: ["00", "0"], bits: 8)
        }
        #expect(throws: BinaryCodesError.self) { try BinaryCodes(bytes: [0, 0, 0], bits: 16) }
        #expect(throws: BinaryCodesError.bitBeyondWidth(code: 0, bit: 63, bits: 63)) {
            try BinaryCodes(bits: 63, words: [1 << 63])
        }
    }

    @Test func editingHelpers() {
        var c = randomCodes(4, bits: 70, seed: 3)
        let originals = (0..<4).map { c.code($0) }
        c.append(originals[1])
        #expect(c.count == 5 && c.code(4) == originals[1])
        c.swapRemove(0)
        #expect(c.count == 4 && c.code(0) == originals[1])
        c.removeLast()
        #expect(c.count == 3 && c.code(2) == originals[2])
        c.flipBit(1, 69)
        #expect(c.bit(1, 69) != (try! BinaryCodes(bits: 70, words: originals[1])).bit(0, 69))
        #expect(c.codes([2, 0]).words == originals[2] + originals[1])
    }
}

@Suite struct HammingKernelTests {
    @Test(arguments: testWidths)
    func kernelsMatchTheBitByBitReference(bits: Int) {
        let a = randomCodes(40, bits: bits, seed: 7 &+ UInt64(bits))
        var b = randomCodes(40, bits: bits, seed: 8 &+ UInt64(bits))
        // Some near-identical pairs so small distances are covered too.
        for i in 0..<10 { b = b.replacing(i, with: a.code(i)); b.flipBit(i, i % bits) }
        var out = [UInt16](repeating: 0, count: 40)
        for q in 0..<a.count {
            let query = a.code(q)
            query.withUnsafeBufferPointer { qp in
                b.words.withUnsafeBufferPointer { bp in
                    Hamming.distances(
                        query: qp.baseAddress!, codes: bp.baseAddress!, count: b.count,
                        wordsPerCode: b.wordsPerCode, into: &out)
                }
            }
            for i in 0..<b.count {
                let ref = Hamming.naiveDistance(query, b.code(i), bits: bits)
                #expect(Hamming.distance(query, b.code(i)) == ref)
                #expect(a.distance(q, to: b, i) == ref)
                #expect(Int(out[i]) == ref)
            }
        }
        #expect(Hamming.distance(a.code(0), a.code(0)) == 0)
    }
}

extension BinaryCodes {
    func replacing(_ i: Int, with code: [UInt64]) -> BinaryCodes {
        var w = words
        for (o, x) in code.enumerated() { w[i * wordsPerCode + o] = x }
        return try! BinaryCodes(bits: bits, words: w)
    }
}
