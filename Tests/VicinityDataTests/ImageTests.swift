import Foundation
import Testing
@testable import VicinityData

@Suite struct PNGTests {
    @Test func greyRoundTrip() throws {
        let dir = try TempDir()
        let pixels = pseudoRandomBytes(28 * 20)
        let p = dir.path("g.png")
        try writePNG(path: p, width: 20, height: 28, pixels: pixels, channels: 1)
        let img = try readPNG(p)
        #expect(img.width == 20 && img.height == 28)
        #expect(img.pixels == pixels)
        #expect(try readGrayImage(p) == img)
    }

    @Test func pureGreyRGBAndOpaqueRGBARoundTripExactly() throws {
        let dir = try TempDir()
        let grey = (0..<256).map { UInt8($0) }
        let rgb = grey.flatMap { [$0, $0, $0] }
        try writePNG(path: dir.path("rgb.png"), width: 16, height: 16, pixels: rgb, channels: 3)
        #expect(try readPNG(dir.path("rgb.png")).pixels == grey)
        let rgba = grey.flatMap { [$0, $0, $0, UInt8(255)] }
        try writePNG(path: dir.path("rgba.png"), width: 16, height: 16, pixels: rgba, channels: 4)
        #expect(try readPNG(dir.path("rgba.png")).pixels == grey)
    }

    @Test func colourBecomesLuminance() throws {
        let dir = try TempDir()
        // red, green, blue, white, black
        let rgb: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0]
        try writePNG(path: dir.path("c.png"), width: 5, height: 1, pixels: rgb, channels: 3)
        let g = try readPNG(dir.path("c.png")).pixels
        let (r, gr, b) = (Int(g[0]), Int(g[1]), Int(g[2]))
        #expect(gr > r && r > b, "green \(gr) > red \(r) > blue \(b)")
        #expect(g[3] == 255 && g[4] == 0)
        // Luminance weights 0.2126/0.7152/0.0722 in linear light, back to sRGB.
        #expect(abs(r - 127) <= 8 && abs(gr - 220) <= 8 && abs(b - 76) <= 8, "\(g)")
    }

    @Test func transparentPixelsCompositeOntoBlack() throws {
        let dir = try TempDir()
        let rgba: [UInt8] = [200, 200, 200, 0, 200, 200, 200, 255]
        try writePNG(path: dir.path("a.png"), width: 2, height: 1, pixels: rgba, channels: 4)
        #expect(try readPNG(dir.path("a.png")).pixels == [0, 200])
    }

    @Test func corruptPNGNamesTheFile() throws {
        let dir = try TempDir()
        let random = try dir.write("random.png", pseudoRandomBytes(1000))
        let e1 = expectDataError { _ = try readPNG(random) }
        #expect(e1 == .notPNG(path: random))
        #expect(e1?.description == "\(random): not a PNG file")

        try writePNG(path: dir.path("ok.png"), width: 64, height: 64, pixels: pseudoRandomBytes(4096), channels: 1)
        let good = try rawBytes(dir.path("ok.png"))
        let cut = try dir.write("cut.png", Array(good.prefix(good.count / 2)))
        let e2 = expectDataError { _ = try readPNG(cut) }
        guard case .badImage(let path, let detail)? = e2 else { Issue.record("got \(String(describing: e2))"); return }
        #expect(path == cut && !detail.isEmpty)
        #expect(e2!.description.contains("cut.png"))

        let junk = try dir.write("junk.png", Array(good.prefix(8)) + pseudoRandomBytes(300))
        guard case .badImage(junk, _)? = expectDataError({ _ = try readPNG(junk) }) else {
            Issue.record("junk accepted"); return
        }
    }

    @Test func writerRejectsBadArguments() throws {
        let dir = try TempDir()
        #expect(
            expectDataError {
                try writePNG(path: dir.path("x.png"), width: 2, height: 2, pixels: [1, 2, 3], channels: 1)
            } != nil)
        #expect(
            expectDataError {
                try writePNG(path: dir.path("x.png"), width: 1, height: 1, pixels: [1, 2, 3, 4, 5], channels: 5)
            } != nil)
        let e = expectDataError {
            try writePNG(path: dir.path("no/such/dir/x.png"), width: 1, height: 1, pixels: [1], channels: 1)
        }
        #expect(e?.description.contains("x.png") == true)
    }
}

@Suite struct PGMTests {
    @Test func binaryAndAsciiRoundTrip() throws {
        let dir = try TempDir()
        let img = GrayImage(width: 5, height: 3, pixels: pseudoRandomBytes(15))
        try writePGM(path: dir.path("b.pgm"), image: img)
        try writePGM(path: dir.path("a.pgm"), image: img, ascii: true)
        #expect(try readPGM(dir.path("b.pgm")) == img)
        #expect(try readPGM(dir.path("a.pgm")) == img)
        #expect(try readGrayImage(dir.path("a.pgm")) == img)
    }

    @Test func commentsAndMaxval() throws {
        let dir = try TempDir()
        let p5 = try dir.write("c.pgm", Array("P5\n# made by hand\n2 # width\n1\n# max\n15\n".utf8) + [0, 15])
        #expect(try readPGM(p5) == GrayImage(width: 2, height: 1, pixels: [0, 255]))
        let p2 = try dir.write("d.pgm", text: "P2 3 1 4 # tiny\n0 2\n# gap\n4\n")
        #expect(try readPGM(p2).pixels == [0, 128, 255])
    }

    @Test func badPGMs() throws {
        let dir = try TempDir()
        let short = try dir.write("short.pgm", Array("P5 4 4 255\n".utf8) + [1, 2, 3])
        guard case .truncated(short, _)? = expectDataError({ _ = try readPGM(short) }) else {
            Issue.record("short accepted"); return
        }
        let deep = try dir.write("deep.pgm", text: "P2 1 1 65535 7\n")
        #expect(expectDataError { _ = try readPGM(deep) }?.description.contains("maxval 65535") == true)
        let over = try dir.write("over.pgm", text: "P2 2 1 10 3 11\n")
        #expect(expectDataError { _ = try readPGM(over) }?.description.contains("exceeds maxval") == true)
        let word = try dir.write("word.pgm", text: "P2 2 x 255\n")
        #expect(expectDataError { _ = try readPGM(word) }?.path == word)
    }
}
