import Foundation
import Testing
@testable import VicinityData

@Suite struct CSVTests {
    @Test func withHeaderScaledFrom255() throws {
        let dir = try TempDir()
        let p = try dir.write("d.csv", text: "label,p1,p2,p3,p4\r\n3,0,255,51,102\r\n\r\n7, 255 ,0,0,1.5e2\r\n")
        let t = try readCSV(p)
        #expect(t.hadHeader && t.scaledFrom255)
        #expect(t.labels == [3, 7])
        #expect(t.features.rows == 2 && t.features.cols == 4)
        #expect(t.features.storage == [0, 1, 0.2, 0.4, 1, 0, 0, Float(150) / 255])
    }

    @Test func withoutHeaderAlreadyUnit() throws {
        let dir = try TempDir()
        let p = try dir.write("u.csv", text: "1,0.5,0.25\n-1,1,0\n")
        let t = try readCSV(p)
        #expect(!t.hadHeader && !t.scaledFrom255)
        #expect(t.labels == [1, -1])
        #expect(t.features.storage == [0.5, 0.25, 1, 0])
    }

    @Test func gzippedCSVThroughDataset() throws {
        let dir = try TempDir()
        let rows = (0..<5).map { i in "\(i)," + (0..<16).map { String(($0 * 17 + i) % 256) }.joined(separator: ",") }
        try writeFileBytes(dir.path("x.csv.gz"), Array((rows.joined(separator: "\n") + "\n").utf8))
        let ds = try Dataset.load(images: dir.path("x.csv.gz"))
        #expect(ds.count == 5 && ds.dims == 16 && ds.imageRows == 4 && ds.imageCols == 4)
        #expect(ds.labels == [0, 1, 2, 3, 4] && ds.ids.first == "0" && ds.name == "x.csv.gz")
        #expect(ds.features[1, 1] == Float(18) / 255)
    }

    @Test func badCellNamesLineAndColumn() throws {
        let dir = try TempDir()
        let p = try dir.write("bad.csv", text: "label,a,b\n1,2,3\n4,x5,6\n")
        let e = expectDataError { _ = try readCSV(p) }
        #expect(e == .badCSV(path: p, line: 3, column: 2, detail: "expected a number, found 'x5'"))
        #expect(e?.description == "\(p): line 3, column 2: expected a number, found 'x5'")

        let ragged = try dir.write("ragged.csv", text: "1,2,3\n4,5\n")
        guard case .badCSV(_, 2, 3, _)? = expectDataError({ _ = try readCSV(ragged) }) else {
            Issue.record("ragged accepted"); return
        }
        let range = try dir.write("range.csv", text: "1,2,300\n")
        guard case .badCSV(_, 1, 3, _)? = expectDataError({ _ = try readCSV(range) }) else {
            Issue.record("300 accepted"); return
        }
        let label = try dir.write("label.csv", text: "1,2\n2.5,3\n")
        guard case .badCSV(_, 2, 1, _)? = expectDataError({ _ = try readCSV(label) }) else {
            Issue.record("2.5 label accepted"); return
        }
    }
}

@Suite struct VecsTests {
    @Test func roundTrips() throws {
        let dir = try TempDir()
        let f = VectorFile<Float>(count: 3, dim: 2, values: [0, 1.5, -2, .pi, 1e-30, 7])
        try writeFvecs(f, to: dir.path("a.fvecs"))
        let fb = try readFvecs(dir.path("a.fvecs"))
        #expect(fb.count == 3 && fb.dim == 2 && fb.values == f.values)
        #expect(Array(fb[1]) == [-2, .pi])
        #expect(try rawBytes(dir.path("a.fvecs")).prefix(8) == [2, 0, 0, 0, 0, 0, 0, 0])

        let i = VectorFile<Int32>(count: 2, dim: 3, values: [1, -2, 3, Int32.max, Int32.min, 0])
        try writeIvecs(i, to: dir.path("a.ivecs"))
        #expect(try readIvecs(dir.path("a.ivecs")).values == i.values)

        let b = VectorFile<UInt8>(count: 2, dim: 4, values: [0, 1, 254, 255, 9, 8, 7, 6])
        try writeBvecs(b, to: dir.path("a.bvecs.gz"))
        let bb = try readBvecs(dir.path("a.bvecs.gz"))
        #expect(bb.count == 2 && bb.dim == 4 && bb.values == b.values)

        let empty = try dir.write("e.fvecs", [])
        #expect(try readFvecs(empty).count == 0)
        #expect(VectorFile(f.matrix).values == f.values)
    }

    @Test func truncatedAndInconsistent() throws {
        let dir = try TempDir()
        try writeFvecs(VectorFile<Float>(count: 2, dim: 3, values: [1, 2, 3, 4, 5, 6]), to: dir.path("a.fvecs"))
        let bytes = try rawBytes(dir.path("a.fvecs"))
        let cut = try dir.write("cut.fvecs", Array(bytes.dropLast(2)))
        let e = expectDataError { _ = try readFvecs(cut) }
        guard case .truncated(cut, _)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(e!.description.contains("vector 1"))

        var mixed = bytes
        mixed[16] = 2  // second record's d: 3 → 2
        let m = try dir.write("mixed.fvecs", mixed)
        #expect(
            expectDataError { _ = try readFvecs(m) }?.description == "\(m): vector 1 has dimension 2, vector 0 has 3")
    }
}
