import Foundation
import Testing
import VicinityMath
@testable import VicinityData

/// `.npy` training data: uint8 images of (N, H, W, C) scaled as IDX bytes are, float rows as they
/// are, labels from a 1-D integer .npy; wrong shapes and dtypes refused by name.
@Suite struct NPYDataTests {
    @Test func imagesAndLabelsFromNPY() throws {
        let dir = URL(fileURLWithPath: temporaryPath("vicinity-npy"))
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let n = 40, h = 4, w = 5
        let pixels = (0..<(n * h * w * 3)).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        let images = dir.appendingPathComponent("x.npy").path, labels = dir.appendingPathComponent("y.npy").path
        try writeNPY(path: images, kind: .uint8, shape: [n, h, w, 3], data: pixels)
        let y = (0..<n).map { Int64($0 % 4) }
        try writeNPY(path: labels, kind: .int64, shape: [n], data: y.withUnsafeBytes { Array($0) })

        var request = DataRequest(data: images, testFraction: 0.25)
        request.labels = labels
        let splits = try Dataset.loadSplits(request)
        let all = try Dataset.load(images: images, labels: labels)
        #expect(all.geometry == ImageGeometry(height: h, width: w, channels: 3) && all.dims == h * w * 3)
        #expect(all.features.storage == pixels.map { Float($0) / 255 })
        #expect(all.labels == y.map(Int.init))
        #expect(splits.train.count + (splits.test?.count ?? 0) == n)
        #expect(Set(splits.train.labels) == [0, 1, 2, 3] && Set(splits.test?.labels ?? []) == [0, 1, 2, 3])

        // Float rows as they are; a float array is not labels; a 3-D float array is not rows.
        let rows = dir.appendingPathComponent("f.npy").path
        let m = Matrix(rows: 6, cols: 9, storage: (0..<54).map { Float($0) / 7 })
        try writeNPY(path: rows, m)
        let floats = try Dataset.load(images: rows)
        #expect(
            floats.features.storage == m.storage && floats.geometry == ImageGeometry(height: 3, width: 3, channels: 1))
        #expect(throws: DataError.self) { try readLabels(rows) }
        let cube = dir.appendingPathComponent("c.npy").path
        try writeNPY(path: cube, kind: .float32, shape: [2, 3, 3], data: [UInt8](repeating: 0, count: 72))
        #expect(throws: DataError.self) { try Dataset.load(images: cube) }
        let wrongCount = dir.appendingPathComponent("short.npy").path
        try writeNPY(path: wrongCount, kind: .int64, shape: [3], data: [UInt8](repeating: 0, count: 24))
        #expect(throws: DataError.self) { try Dataset.load(images: images, labels: wrongCount) }
    }
}
