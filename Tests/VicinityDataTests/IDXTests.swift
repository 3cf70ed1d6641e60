import Foundation
import Testing
import VicinityMath
@testable import VicinityData

@Suite struct IDXTests {
    static let samples: [IDXArray] = [
        IDXArray(dims: [2, 3], elements: .uint8([0, 1, 2, 127, 128, 255])),
        IDXArray(dims: [4], elements: .int8([-128, -1, 0, 127])),
        IDXArray(dims: [2, 2], elements: .int16([-32768, -2, 300, 32767])),
        IDXArray(dims: [3], elements: .int32([Int32.min, -70_000, Int32.max])),
        IDXArray(dims: [1, 2, 2], elements: .float32([0, -1.5, 3.25e-7, .infinity])),
        IDXArray(dims: [2], elements: .float64([.pi, -1e300])),
    ]

    @Test(arguments: samples)
    func roundTripRawAndGzip(_ array: IDXArray) throws {
        let dir = try TempDir()
        for name in ["a.idx", "a.idx.gz"] {
            try writeIDX(array, to: dir.path(name))
            let back = try readIDX(dir.path(name))
            #expect(back == array)
            #expect(back.type == array.type)
        }
        #expect(try rawBytes(dir.path("a.idx.gz")).starts(with: [0x1f, 0x8b]))
    }

    @Test func headerIsBigEndian() {
        let bytes = encodeIDX(IDXArray(dims: [1, 2], elements: .int16([1, -2])))
        #expect(bytes == [0, 0, 0x0B, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0x00, 0x01, 0xFF, 0xFE])
    }

    @Test func imagesAndLabels() throws {
        let dir = try TempDir()
        let pixels: [UInt8] = (0..<2 * 3 * 4).map { UInt8($0 * 11) }
        try writeIDX(IDXArray(dims: [2, 3, 4], elements: .uint8(pixels)), to: dir.path("img.gz"))
        try writeIDX(IDXArray(dims: [2], elements: .uint8([7, 3])), to: dir.path("lab"))
        let (m, rows, cols) = try readIDXImages(dir.path("img.gz"))
        #expect(m.rows == 2 && m.cols == 12 && rows == 3 && cols == 4)
        #expect(m.storage == pixels.map { Float($0) / 255 })
        #expect(m[1, 11] == Float(253) / 255)
        #expect(try readIDXLabels(dir.path("lab")) == [7, 3])
    }

    @Test func wrongMagic() throws {
        let dir = try TempDir()
        let p = try dir.write("train-images-idx3-ubyte", [UInt8](repeating: 0, count: 64))
        let e = expectDataError { _ = try readIDXImages(p) }
        #expect(e == .badMagic(path: p, found: 0, expected: 0x803, meaning: "unsigned-byte images"))
        #expect(e?.description == "\(p): bad magic 0x00000000 (expected 0x00000803 for unsigned-byte images)")
        // Labels file passed as images.
        try writeIDX(IDXArray(dims: [2], elements: .uint8([1, 2])), to: dir.path("labels"))
        #expect(
            expectDataError { _ = try readIDXImages(dir.path("labels")) }?.description.contains("bad magic 0x00000801")
                == true)
        // Generic reader: unknown type code.
        let q = try dir.write("x.idx", [0, 0, 0x07, 1, 0, 0, 0, 0])
        let e2 = expectDataError { _ = try readIDX(q) }
        #expect(e2?.description.contains("bad magic 0x00000701") == true)
        #expect(e2?.path == q)
        let z = try dir.write("z.idx", [0, 0, 0x08, 0])
        #expect(expectDataError { _ = try readIDX(z) }?.description.contains("dimension count is 0") == true)
    }

    @Test func truncatedData() throws {
        let dir = try TempDir()
        // Header claims 60000×28×28, only 1000 data bytes follow.
        var bytes: [UInt8] = [0, 0, 8, 3, 0, 0, 0xEA, 0x60, 0, 0, 0, 28, 0, 0, 0, 28]
        bytes += [UInt8](repeating: 1, count: 1000)
        let p = try dir.write("train-images-idx3-ubyte", bytes)
        let e = expectDataError { _ = try readIDXImages(p) }
        #expect(e?.description == "\(p): truncated: header says 60000×28×28 = 47040000 bytes of data, file has 1000")
        let q = try dir.write("short", [0, 0, 8, 3, 0, 0])
        guard case .truncated? = expectDataError({ _ = try readIDX(q) }) else { Issue.record("not truncated"); return }
        // Multi-byte type: the element width shows in the message.
        let r = try dir.write("f.idx", [0, 0, 0x0D, 1, 0, 0, 0, 2, 0, 0, 0, 0])
        #expect(
            expectDataError { _ = try readIDX(r) }?.description.contains("2 × 4 = 8 bytes of data, file has 4") == true)
        // Extra bytes are an error too.
        let s = try dir.write("extra.idx", [0, 0, 8, 1, 0, 0, 0, 1, 5, 6])
        #expect(expectDataError { _ = try readIDX(s) }?.description.contains("1 extra") == true)
    }
}
