import Foundation
import Testing
@testable import VicinityData

/// Our decoders and resampler against Pillow's on files Pillow wrote (see `PillowFixtures`).
@Suite struct DecoderTests {
    /// The largest difference between two pixel arrays of the same shape.
    func worst(_ a: Bitmap, _ e: (width: Int, height: Int, channels: Int, pixels: [UInt8]), _ what: String) -> Int {
        #expect(
            a.width == e.width && a.height == e.height && a.channels == e.channels,
            "\(what): \(a.width)×\(a.height)×\(a.channels), Pillow \(e.width)×\(e.height)×\(e.channels)")
        guard a.pixels.count == e.pixels.count else { return 255 }
        return zip(a.pixels, e.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
    }

    @Test(arguments: ["rgb420", "rgb444", "grey", "progressive", "big"])
    func jpegWithinTwoOfPillow(_ name: String) throws {
        let f = try PillowFixtures.load()
        let image = try readBitmap(f.path(name + ".jpg"))
        #expect(worst(image, try f.expected(name), name) <= 2)
    }

    @Test(arguments: [2, 4, 8])
    func dctScaledJPEGWithinTwoOfPillowsDraft(_ d: Int) throws {
        let f = try PillowFixtures.load()
        let bytes = try rawBytes(f.path("big.jpg"))
        let image = try decodeJPEG(bytes, path: "big.jpg", atLeast: (200 / d, 120 / d))
        #expect(worst(image, try f.expected("big_d\(d)"), "1/\(d)") <= 2)
        // Asking for a size between two scales takes the larger one.
        #expect(
            try decodeJPEG(bytes, path: "big.jpg", atLeast: (200 / d + 1, 1)).width == (d == 2 ? 200 : 200 / (d / 2)))
    }

    @Test(arguments: 1...8)
    func exifOrientationAsPillowsExifTranspose(_ o: Int) throws {
        let f = try PillowFixtures.load()
        let image = try readBitmap(f.path("orient\(o).jpg"))
        #expect(worst(image, try f.expected("orient\(o)"), "orientation \(o)") <= 2)
        #expect((image.width, image.height) == (o >= 5 ? (20, 30) : (30, 20)))
    }

    @Test(arguments: ["L", "RGB", "P", "LA", "RGBA", "L16"])
    func pngExactlyAsPillow(_ name: String) throws {
        let f = try PillowFixtures.load()
        let ours = try readBitmap(f.path(name + ".png")), theirs = try f.expected(name)
        #expect(worst(ours, theirs, name) == 0, "\(Array(ours.pixels.prefix(8))) vs \(Array(theirs.pixels.prefix(8)))")
    }

    @Test func pgmAndPPMExactlyAsPillow() throws {
        let f = try PillowFixtures.load()
        #expect(worst(try readBitmap(f.path("grey.pgm")), try f.expected("greypgm"), "pgm") == 0)
        #expect(worst(try readBitmap(f.path("colour.ppm")), try f.expected("colourppm"), "ppm") == 0)
        #expect(worst(try readBitmap(f.path("deep.pgm")), try f.expected("deeppgm"), "16-bit pgm") == 0)
    }

    @Test func greyFromRGBAsPillowsConvertL() throws {
        let f = try PillowFixtures.load()
        #expect(worst(try readBitmap(f.path("RGB.png")).withChannels(1), try f.expected("grey_of_rgb"), "L") == 0)
        let back = try readBitmap(f.path("L.png")).withChannels(3)
        #expect(back.channels == 3 && back.pixels[0] == back.pixels[1] && back.pixels[1] == back.pixels[2])
    }

    /// Tolerances: ±1 of Pillow where both compute the same filter (box at a whole factor, bilinear),
    /// since Pillow rounds to 8 bits between its two passes and we once at the end. At a fractional
    /// factor Pillow's box takes whole source pixels by their centres while we weight partial pixels
    /// by the area they share, so there we hold ±1 of an exact area average (numpy, float64) and a
    /// mean difference of at most 3 levels from Pillow's box.
    @Test func resizeAgainstPillowsBoxAndBilinear() throws {
        let f = try PillowFixtures.load()
        let src = try readBitmap(f.path("resize_src.png"))
        #expect(worst(src.resized(width: 20, height: 15), try f.expected("box_20x15"), "box 3×") <= 1)
        let fractional = src.resized(width: 25, height: 19), e = try f.expected("box_25x19")
        #expect(worst(fractional, try f.expected("area_25x19"), "area 2.4×") <= 1)
        let mean =
            Double(zip(fractional.pixels, e.pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +))
            / Double(e.pixels.count)
        #expect(mean <= 3, "mean difference from Pillow's box \(mean)")
        let small = try readBitmap(f.path("resize_small.png"))
        #expect(worst(small.resized(width: 50, height: 40), try f.expected("bilinear_50x40"), "bilinear") <= 1)
    }

    @Test func badAndUnsupportedFilesAreNamed() throws {
        let f = try PillowFixtures.load()
        let cases: [(String, String)] = [
            ("truncated.jpg", "Premature end"), ("cmyk.jpg", "CMYK"), ("corrupt.png", "corrupt.png"),
            ("anim.gif", "GIF"),
        ]
        for (file, words) in cases {
            let error = expectDataError { _ = try readBitmap(f.path(file)) }
            #expect(
                error?.description.contains(file) == true && error?.description.contains(words) == true,
                "\(file): \(String(describing: error))")
        }
        let dir = try TempDir()
        let pbm = try dir.write("x.pbm", Array("P4\n8 1\n\u{0}".utf8))
        #expect(expectDataError { _ = try readBitmap(pbm) }?.description.contains("PBM") == true)
        let text = try dir.write("notes.jpg", text: "hello")
        #expect(expectDataError { _ = try readBitmap(text) }?.description.contains("not an image") == true)
    }

    @Test func fitCropPadStretch() throws {
        // 8×4 image, left half 200, right half 50 (grey).
        let wide = Bitmap(width: 8, height: 4, channels: 1, pixels: (0..<32).map { $0 % 8 < 4 ? 200 : 50 })
        let g = ImageGeometry(height: 4, width: 4, channels: 1)
        let crop = wide.fitted(to: g, fit: .crop)  // centre 4×4: columns 2…5
        #expect(crop.pixels == (0..<16).map { $0 % 4 < 2 ? 200 : 50 })
        let pad = wide.fitted(to: g, fit: .pad)  // 4×2 in the middle rows, black above and below
        #expect(pad.pixels[0..<4].allSatisfy { $0 == 0 } && pad.pixels[12..<16].allSatisfy { $0 == 0 })
        #expect(Array(pad.pixels[4..<8]) == [200, 200, 50, 50])
        let stretch = wide.fitted(to: g, fit: .stretch)  // area average of column pairs
        #expect(Array(stretch.pixels[0..<4]) == [200, 200, 50, 50])
        let rgb = wide.fitted(to: ImageGeometry(height: 2, width: 2, channels: 3), fit: .crop)
        #expect(rgb.channels == 3 && rgb.pixels == [200, 200, 200, 50, 50, 50, 200, 200, 200, 50, 50, 50])
    }
}
