import Foundation
import Testing
import VicinityMath
@testable import VicinityData

/// Inputs made or read a chunk at a time: perturbed copies of a base set, and IDX streams.
@Suite struct StreamedImagesTests {
    /// A 4×4 base set of `n` images with distinct pixels, none brighter than 200/255.
    func baseSet(_ n: Int) -> Dataset {
        var rng = SeededRNG(seed: 9)
        let pixels = (0..<(n * 16)).map { _ in Float(rng.below(201)) / 255 }
        return Dataset(
            name: "base", features: Matrix(rows: n, cols: 16, storage: pixels), labels: (0..<n).map { $0 % 3 },
            ids: (0..<n).map { "b\($0)" }, imageRows: 4, imageCols: 4)
    }

    @Test func perturbedItemsDependOnlyOnTheirNumber() {
        let images = PerturbedImages(base: baseSet(5), count: 40, seed: 7)
        let all = images.items(0..<40, name: "p")
        let part = images.items(13..<29, name: "p")
        #expect(part.features.storage == Array(all.features.storage[(13 * 16)..<(29 * 16)]))
        #expect(part.ids.first == "p00000013" && part.labels == (13..<29).map { $0 % 5 % 3 })
        #expect(all.features.storage.allSatisfy { ($0 * 255).rounded() / 255 == $0 && $0 >= 0 && $0 <= 1 })
        // Copies of one base image differ from each other, and another seed gives other pixels.
        #expect(all.features.rows([0]).storage != all.features.rows([5]).storage)
        let other = PerturbedImages(base: baseSet(5), count: 40, seed: 8).items(0..<40, name: "p")
        #expect(other.features.storage != all.features.storage)
        #expect(images.id(123_456_789) == "p123456789")
    }

    @Test func withoutWarpAnItemIsItsBaseImageUnderAGain() {
        let baseImages = baseSet(3)
        var images = PerturbedImages(base: baseImages, count: 6, seed: 1)
        (images.shift, images.degrees) = (0, 0)
        let made = images.items(0..<6, name: "p")
        for i in 0..<6 {
            let base = baseImages.features.rows([i % 3]).storage, out = made.features.rows([i]).storage
            let j = base.indices.max { base[$0] < base[$1] }!
            let gain = out[j] / base[j]
            #expect(gain >= 0.79 && gain <= 1.21)
            for k in base.indices {
                #expect(abs(out[k] - min(1, base[k] * gain)) <= 1.0 / 255 + 1e-6)
            }
        }
    }

    @Test(arguments: ["x.idx", "x.idx.gz"])
    func anIDXStreamGivesTheFileInChunks(_ name: String) throws {
        let dir = try TempDir()
        let pixels = pseudoRandomBytes(23 * 3 * 5)
        try writeIDX(IDXArray(dims: [23, 3, 5], elements: .uint8(pixels)), to: dir.path(name))
        let stream = try #require(try IDXStream(dir.path(name)))
        #expect(stream.count == 23 && stream.imageRows == 3 && stream.imageCols == 5)
        var rows: [Float] = []
        while let chunk = try stream.next(4) { rows += chunk.storage }
        #expect(rows == (try readIDXImages(dir.path(name))).images.storage)
        #expect(stream.position == 23)
    }

    @Test func anIDXStreamRefusesShortAndLongFiles() throws {
        let dir = try TempDir()
        let bytes = encodeIDX(IDXArray(dims: [10, 2, 2], elements: .uint8(pseudoRandomBytes(40))))
        _ = try dir.write("short.idx", Array(bytes.dropLast(3)))
        let short = expectDataError { _ = try IDXStream(dir.path("short.idx")) }
        #expect(short?.description.contains("header says 10 rows of 4 bytes = 40 bytes of data, file has 37") == true)

        try writeFileBytes(dir.path("short.gz"), Array(bytes.dropLast(3)))
        let gz = try #require(try IDXStream(dir.path("short.gz")))
        _ = try gz.next(6)
        let ended = expectDataError { _ = try gz.next(6) }
        #expect(ended?.description.contains("header says 10 rows of 4 bytes, the file holds 9") == true)

        try writeFileBytes(dir.path("long.gz"), bytes + [1, 2])
        let long = try #require(try IDXStream(dir.path("long.gz")))
        _ = try long.next(10)
        let extra = expectDataError { _ = try long.next(10) }
        #expect(extra?.description.contains("more data than the header's 10 rows") == true)

        _ = try dir.write("floats.idx", encodeIDX(IDXArray(dims: [1, 2], elements: .float32([0, 1]))))
        #expect(try IDXStream(dir.path("floats.idx")) == nil)
    }
}
