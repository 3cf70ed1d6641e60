import Foundation
import Testing
@testable import VicinityData

@Suite struct ImageFolderTests {
    /// Writes a w×h image whose every pixel is `value`.
    func solid(_ path: String, _ value: UInt8, w: Int = 4, h: Int = 3) throws {
        let img = GrayImage(width: w, height: h, pixels: [UInt8](repeating: value, count: w * h))
        if path.hasSuffix(".pgm") { try writePGM(path: path, image: img) } else { try writePNG(path: path, image: img) }
    }

    @Test func flatFolderSortedByName() throws {
        let dir = try TempDir()
        try solid(dir.path("b.png"), 51)
        try solid(dir.path("a.pgm"), 255)
        try solid(dir.path("c.PNG"), 0)
        _ = try dir.write("notes.txt", text: "ignored")
        let f = try readImageFolder(dir.url.path)
        #expect(f.ids == ["a", "b", "c"])
        #expect(f.labels == [-1, -1, -1])
        #expect(f.rows == 3 && f.cols == 4 && f.images.rows == 3 && f.images.cols == 12)
        #expect(f.images[0, 0] == 1 && f.images[1, 5] == 0.2 && f.images[2, 11] == 0)
        #expect(f.failures.isEmpty)
    }

    @Test func labelledSubfolders() throws {
        let dir = try TempDir()
        for label in [10, 2] {
            let sub = try dir.mkdir(String(label))
            try solid(sub + "/x.png", UInt8(label))
            try solid(sub + "/w.png", UInt8(label))
        }
        let f = try readImageFolder(dir.url.path)
        #expect(f.labels == [2, 2, 10, 10])
        #expect(f.ids == ["2/w", "2/x", "10/w", "10/x"])
        #expect(f.images[2, 0] == Float(10) / 255)
    }

    @Test func badFileIsReportedAndTheRestKept() throws {
        let dir = try TempDir()
        for i in 0..<20 { try solid(dir.path(String(format: "img%02d.png", i)), UInt8(i)) }
        _ = try dir.write("img07.png", pseudoRandomBytes(100))  // overwrite one with junk
        try solid(dir.path("img13.png"), 9, w: 8, h: 6)  // and one of another size: resized, kept
        let f = try readImageFolder(dir.url.path)
        #expect(f.images.rows == 19)
        #expect(!f.ids.contains("img07") && f.ids.contains("img13") && f.ids.contains("img19"))
        #expect(f.failures.map(\.name) == ["img07.png"])
        #expect(f.failures[0].reason.contains("not an image file"))
        #expect(f.images.row(f.ids.firstIndex(of: "img13")!).allSatisfy { $0 == Float(9) / 255 })
        #expect(f.fileIndices.count == 19 && f.fileCount == 20)

        // Strict mode throws the first problem, naming the file.
        let e = expectDataError { _ = try readImageFolder(dir.url.path, strict: true) }
        #expect(e?.path.hasSuffix("img07.png") == true)

        // Through the Dataset API.
        let (ds, skipped) = try Dataset.loadSkippingBad(images: dir.url.path)
        #expect(ds.count == 19 && skipped.count == 1 && ds.imageRows == 3 && ds.imageCols == 4)
        #expect(expectDataError { _ = try Dataset.load(images: dir.url.path) } != nil)
    }

    @Test func mixedSizesAndChannelsComeToOneGeometry() throws {
        let dir = try TempDir()
        try solid(dir.path("a.png"), 10, w: 28, h: 28)
        try solid(dir.path("b.png"), 20, w: 28, h: 28)
        try solid(dir.path("c.png"), 30, w: 56, h: 40)
        try writePNG(
            path: dir.path("d.png"), width: 2, height: 2, pixels: [UInt8](repeating: 100, count: 12), channels: 3)
        let f = try readImageFolder(dir.url.path)
        #expect(
            f.geometry == ImageGeometry(height: 28, width: 28, channels: 1) && f.failures.isEmpty && f.images.rows == 4)
        #expect(
            f.images.row(2).allSatisfy { $0 == Float(30) / 255 }
                && f.images.row(3).allSatisfy { $0 == Float(100) / 255 })
        // An explicit geometry: RGB 8×6, grey repeated into three channels.
        let rgb = try readImageFolder(
            dir.url.path, geometry: ImageGeometry(height: 6, width: 8, channels: 3), fit: .pad)
        #expect(rgb.images.cols == 144 && rgb.images[0, 0] == 0 && rgb.images[0, 3 * 8 * 3 + 4 * 3] == Float(10) / 255)
    }

    @Test func emptyOrMissingFolder() throws {
        let dir = try TempDir()
        #expect(
            expectDataError { _ = try readImageFolder(dir.url.path) }?.description.contains("no image files") == true)
        #expect(expectDataError { _ = try readImageFolder(dir.path("missing")) }?.path == dir.path("missing"))
    }

    @Test func namedClassFolders() throws {
        let dir = try TempDir()
        for (i, name) in ["shoes", "Bags", "t-shirts"].enumerated() {
            let sub = try dir.mkdir(name)
            try solid(sub + "/a.png", UInt8(i))
            try solid(sub + "/b.pgm", UInt8(i))
        }
        try solid(dir.path("top.png"), 3)
        let f = try readImageFolder(dir.url.path)
        #expect(f.classNames == ["Bags", "shoes", "t-shirts"])
        #expect(f.ids == ["top", "Bags/a", "Bags/b", "shoes/a", "shoes/b", "t-shirts/a", "t-shirts/b"])
        #expect(f.labels == [-1, 0, 0, 1, 1, 2, 2] && f.failures.isEmpty)
        let ds = try Dataset.load(images: dir.url.path)
        #expect(ds.classNames == ["Bags", "shoes", "t-shirts"])
    }

    @Test func externalLabelsLineUpAfterSkips() throws {
        let dir = try TempDir()
        let imgs = try dir.mkdir("imgs")
        for i in 0..<4 { try solid(imgs + "/\(i).png", UInt8(i)) }
        _ = try dir.write("imgs/2.png", [1, 2, 3])
        let labels = try dir.write("labels.txt", text: "5\n6\n7\n8\n")
        let (ds, skipped) = try Dataset.loadSkippingBad(images: imgs, labels: labels)
        #expect(ds.labels == [5, 6, 8] && ds.ids == ["0", "1", "3"] && skipped.count == 1)
        let few = try dir.write("few.txt", text: "1\n2\n")
        guard
            case .labelCountMismatch? = expectDataError({ _ = try Dataset.loadSkippingBad(images: imgs, labels: few) })
        else {
            Issue.record("count mismatch not reported"); return
        }
    }
}
