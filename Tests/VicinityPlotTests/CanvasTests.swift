import Foundation
import VicinityTestSupport
import Testing
import VicinityData
@testable import VicinityPlot

@Suite struct FontTests {
    @Test func coversPrintableASCIIWithDistinctInkedGlyphs() {
        #expect(BitmapFont.glyphs.count == 95)
        var seen: [[UInt8]: Character] = [:]
        for code in UInt8(32)...UInt8(126) {
            let c = Character(UnicodeScalar(code))
            let g = BitmapFont.glyph(c)
            #expect(g.count == BitmapFont.glyphHeight, "\(c)")
            #expect(g.allSatisfy { $0 < 1 << BitmapFont.glyphWidth }, "\(c) is wider than 5 pixels")
            let ink = g.reduce(0) { $0 + $1.nonzeroBitCount }
            if c == " " { #expect(ink == 0) } else { #expect(ink > 0, "\(c) has no ink") }
            if let other = seen[g] { Issue.record("\(c) looks the same as \(other)") }
            seen[g] = c
        }
        // Outside the range: the question mark.
        #expect(BitmapFont.glyph("é") == BitmapFont.glyph("?"))
        #expect(BitmapFont.glyph("\u{7F}") == BitmapFont.glyph("?"))
    }

    @Test func drawsGlyphPixelsAtScale() {
        var canvas = Canvas(width: 40, height: 30)
        canvas.drawText("AT", x: 10, y: 5, scale: 2, color: .black)
        // A: top row .###. ; second row #...#
        #expect(canvas[10, 5] == .white)
        #expect(canvas[12, 5] == .black && canvas[13, 6] == .black)
        #expect(canvas[10, 7] == .black && canvas[18, 7] == .black && canvas[14, 7] == .white)
        // T starts 12 pixels right (advance 6 at scale 2): full top row.
        #expect(canvas[22, 5] == .black && canvas[30, 5] == .black)
        #expect(canvas[22, 7] == .white && canvas[26, 7] == .black)
        #expect(BitmapFont.size(of: "AT", scale: 2) == (width: 22, height: 14))
        // Nothing outside the two glyph cells.
        #expect(canvas[33, 5] == .white && canvas[10, 19] == .white)
    }

    @Test func anchorsAndVerticalText() {
        var a = Canvas(width: 30, height: 20)
        a.drawText("I", x: 15, y: 10, anchor: .center)
        // "I" is 5×7: centred at (15, 10) its box is x 13..17, y 7..13; its stem is column 2, x = 15.
        #expect(a[15, 10] == .black && a[14, 7] == .black && a[13, 7] == .white && a[12, 10] == .white)
        var v = Canvas(width: 20, height: 20)
        v.drawVerticalText("L", cx: 10, cy: 10)
        // L turned anticlockwise: its stem (column 0) becomes the bottom row, its foot (row 6) the right column.
        let black = (0..<20).flatMap { y in (0..<20).map { (x: $0, y: y) } }.filter { v[$0.x, $0.y] == .black }
        let bottom = black.map(\.y).max()!, right = black.map(\.x).max()!
        #expect(black.filter { $0.y == bottom }.count == 7)
        #expect(black.filter { $0.x == right }.count == 5)
    }
}

@Suite struct CanvasTests {
    let red = RGB(255, 0, 0), blue = RGB(0, 0, 255)

    @Test func fillAndRectangles() {
        var c = Canvas(width: 10, height: 8, background: blue)
        #expect(c.count(of: blue) == 80)
        c.fillRect(PixelRect(x: 2, y: 3, width: 4, height: 2), red)
        #expect(c[2, 3] == red && c[5, 4] == red)
        #expect(c[1, 3] == blue && c[6, 3] == blue && c[2, 2] == blue && c[2, 5] == blue)
        #expect(c.count(of: red) == 8)
        c.fillRect(PixelRect(x: -5, y: -5, width: 100, height: 6), .white)  // clipped, no crash
        #expect(c[9, 0] == .white && c[0, 0] == .white && c[0, 1] == blue)
        c.strokeRect(PixelRect(x: 0, y: 2, width: 10, height: 6), .black)
        #expect(c[0, 4] == .black && c[9, 4] == .black && c[4, 2] == .black && c[4, 7] == .black && c[4, 4] != .black)
    }

    @Test func discsAreRoundAndAntiAliased() {
        var c = Canvas(width: 40, height: 40)
        c.fillDisc(cx: 20, cy: 20, radius: 6, red)
        #expect(c[19, 19] == red && c[20, 20] == red && c[24, 19] == red)
        #expect(c[19, 12] == .white && c[30, 20] == .white)
        // Corners of the bounding square stay white: it is a disc, not a square.
        #expect(c[15, 15] == .white || c[15, 15].g > 128)
        #expect(c[14, 14] == .white)
        // The edge is blended: some pixels are neither red nor white.
        #expect(c.distinctColors.count > 2)
    }

    @Test func thickLinesCoverTheirSegmentOnly() {
        var c = Canvas(width: 50, height: 50)
        c.drawLine(x0: 5, y0: 10.5, x1: 45, y1: 10.5, thickness: 3, red)
        #expect(c[5, 10] == red && c[25, 9] == red && c[25, 11] == red && c[44, 10] == red)
        #expect(c[25, 7] == .white && c[25, 13] == .white && c[48, 10] == .white)
        // A diagonal passes through its midpoint.
        c.drawLine(x0: 10, y0: 20, x1: 40, y1: 50, thickness: 2, blue)
        #expect(c[24, 34] == blue)
        #expect(c[34, 24] == .white)
    }

    @Test func clipLimitsDrawing() {
        var c = Canvas(width: 20, height: 20)
        c.clip = PixelRect(x: 5, y: 5, width: 5, height: 5)
        c.fillRect(PixelRect(x: 0, y: 0, width: 20, height: 20), red)
        #expect(c.count(of: red) == 25 && c[5, 5] == red && c[4, 5] == .white && c[10, 9] == .white)
    }

    @Test func blitsGrayImagesScaled() {
        var c = Canvas(width: 12, height: 12, background: blue)
        c.blitGray([0, 255, 128, 64], imageWidth: 2, imageHeight: 2, x: 3, y: 4, scale: 3)
        #expect(c[3, 4] == RGB(gray: 0) && c[5, 6] == RGB(gray: 0))
        #expect(c[6, 4] == RGB(gray: 255) && c[8, 6] == RGB(gray: 255))
        #expect(c[3, 7] == RGB(gray: 128) && c[8, 9] == RGB(gray: 64))
        #expect(c[2, 4] == blue && c[9, 4] == blue && c[3, 10] == blue)
    }

    @Test func savesAnRGBPNGOfItsSize() throws {
        var c = Canvas(width: 7, height: 5)
        c.fillRect(PixelRect(x: 0, y: 0, width: 3, height: 5), RGB(gray: 40))
        let path = temporaryPath("vicinity-plot") + ".png"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try c.save(to: path)
        let header = try PNGHeader(path: path)
        #expect(header.width == 7 && header.height == 5 && header.colorType == 2 && header.bitDepth == 8)
        // Grey pixels come back unchanged through libpng's grey conversion.
        let gray = try readPNG(path)
        #expect(gray.width == 7 && gray.height == 5)
        #expect(gray.pixels[0] == 40 && gray.pixels[2] == 40 && gray.pixels[3] == 255 && gray.pixels[34] == 255)
    }

    @Test func grayConversions() {
        #expect(grayBytes([0, 1, 0.5, -3, 7]) == [0, 255, 128, 0, 255])
        #expect(grayBytesMinMax([-2, 0, 2]) == [0, 128, 255])
        #expect(grayBytesMinMax([3, 3]) == [128, 128])
    }

    @Test func paletteHasTenDistinctColoursAndCycles() {
        let ten = (0..<10).map(Palette.color)
        #expect(Set(ten).count == 10)
        #expect(!ten.contains(.white) && !ten.contains(.black))
        #expect(Palette.color(10) != Palette.color(0) && !ten.contains(Palette.color(13)))
        #expect(classNames(count: 10)[9] == "Ankle boot" && classNames(count: 3) == ["class 0", "class 1", "class 2"])
    }
}

/// The IHDR fields of a PNG file.
struct PNGHeader {
    var width: Int, height: Int, bitDepth: Int, colorType: Int

    init(path: String) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        guard bytes.count >= 33, bytes[0..<8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]),
            bytes[12..<16].elementsEqual(Array("IHDR".utf8))
        else {
            throw PNGHeaderError("\(path): not a PNG file with an IHDR chunk")
        }
        func be32(_ i: Int) -> Int { bytes[i..<i + 4].reduce(0) { $0 << 8 | Int($1) } }
        width = be32(16)
        height = be32(20)
        bitDepth = Int(bytes[24])
        colorType = Int(bytes[25])
    }
}

struct PNGHeaderError: Error { let message: String; init(_ message: String) { self.message = message } }
