import Foundation
import Testing
import VicinityData

/// Signature and IHDR of a PNG file: width, height, bit depth, colour type.
private func pngHeader(_ path: String) throws -> (width: Int, height: Int, bitDepth: Int, colorType: Int) {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    try #require(bytes.count >= 33, "\(path) is too short for a PNG")
    #expect(bytes[0..<8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "\(path): no PNG signature")
    #expect(bytes[12..<16].elementsEqual(Array("IHDR".utf8)), "\(path): first chunk is not IHDR")
    func be32(_ i: Int) -> Int { bytes[i..<i + 4].reduce(0) { $0 << 8 | Int($1) } }
    return (be32(16), be32(20), Int(bytes[24]), Int(bytes[25]))
}

@Suite struct PlotCLITests {
    /// A tiny autoencoder (16-2-16) and an encoder-only NCA model (16-8-2), trained by the binary on a fixture.
    func trainedModels() throws -> (dir: URL, autoencoder: String, encoderOnly: String) {
        let dir = try temporaryFolder()
        _ = try writeIDXDataset(in: dir, train: 150, test: 40)
        let ae = dir.appendingPathComponent("ae.safetensors").path
        let nca = dir.appendingPathComponent("nca.safetensors").path
        let a = try runVicinity([
            "train", "--recipe", "autoencoder", "--code", "2", "--epochs", "2", "--validation", "20",
            "--data", dir.path, "--out", ae,
        ])
        try #require(a.status == 0, "\(a.stderr)")
        let n = try runVicinity([
            "train", "--recipe", "nca", "--layers", "8,2", "--pretrain-epochs", "0", "--epochs", "2",
            "--validation", "20", "--data", dir.path, "--out", nca,
        ])
        try #require(n.status == 0, "\(n.stderr)")
        return (dir, ae, nca)
    }

    @Test func plotAllWritesEveryFigureAsAnRGBPNGOfThePrintedSize() throws {
        let (dir, ae, _) = try trainedModels()
        let out = dir.appendingPathComponent("plots")
        let r = try runVicinity([
            "plot", "all", "--model", ae, "--data", dir.path, "--out-dir", out.path, "--queries", "20",
        ])
        try #require(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 5, "\(r.stdout)")
        for kind in ["map", "pr", "reconstructions", "filters", "traversal"] {
            let path = out.appendingPathComponent("\(kind).png").path
            let line = try #require(lines.first { $0.hasPrefix(path + " ") }, "no line for \(kind) in \(r.stdout)")
            let size = line.dropFirst(path.count + 1).split(separator: "×").compactMap { Int($0) }
            try #require(size.count == 2, "\(line)")
            let header = try pngHeader(path)
            #expect(header.width == size[0] && header.height == size[1], "\(kind): \(header) vs \(line)")
            #expect(header.bitDepth == 8 && header.colorType == 2, "\(kind) is not 8-bit RGB")
            // libpng decodes it; not all one colour.
            let gray = try readPNG(path)
            #expect(gray.width == size[0] && gray.height == size[1])
            #expect(Set(gray.pixels).count > 2, "\(kind) is (nearly) one colour")
        }
        #expect(lines.first { $0.contains("map.png") }?.hasSuffix(" 960×720") == true)
        #expect(lines.first { $0.contains("pr.png") }?.hasSuffix(" 800×600") == true)
    }

    @Test func encoderOnlyModelsSkipOrRefuseDecoderFigures() throws {
        let (dir, _, nca) = try trainedModels()
        let bad = try runVicinity([
            "plot", "reconstructions", "--model", nca, "--data", dir.path,
            "--out", dir.appendingPathComponent("r.png").path,
        ])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("no decoder") && bad.stderr.contains("nca.safetensors"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("r.png").path))
        let out = dir.appendingPathComponent("plots")
        let all = try runVicinity([
            "plot", "all", "--model", nca, "--data", dir.path, "--out-dir", out.path, "--queries", "10",
        ])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(all.stderr.contains("skipping reconstructions") && all.stderr.contains("skipping traversal"))
        #expect(all.stdout.split(separator: "\n").count == 3)
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("filters.png").path))
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("traversal.png").path))
    }

    @Test func badInputsFailNamingTheProblem() throws {
        let dir = try temporaryFolder()
        _ = try writeIDXDataset(in: dir, train: 30, test: 10)
        let missing = try runVicinity([
            "plot", "map", "--model", dir.appendingPathComponent("none.safetensors").path, "--data", dir.path,
        ])
        #expect(
            missing.status != 0 && missing.stderr.contains("none.safetensors")
                && missing.stderr.contains("no such model file"))
        let kind = try runVicinity(["plot", "maps", "--model", "x.safetensors"])
        #expect(kind.status != 0 && kind.stderr.contains("maps"))
        let noKind = try runVicinity(["plot"])
        #expect(noKind.status != 0 && noKind.stderr.contains("kind"))
        // A model for 16-pixel images against 25-pixel data.
        let (fixture, ae, _) = try trainedModels()
        let other = try temporaryFolder()
        _ = try writeIDXDataset(in: other, train: 30, test: 10, side: 5)
        let size = try runVicinity([
            "plot", "map", "--model", ae, "--data", other.path, "--out", other.appendingPathComponent("m.png").path,
        ])
        #expect(
            size.status != 0 && size.stderr.contains("16 inputs") && size.stderr.contains("25 pixels"), "\(size.stderr)"
        )
        let both = try runVicinity(["plot", "all", "--model", ae, "--data", fixture.path, "--out", "x.png"])
        #expect(both.status != 0 && both.stderr.contains("--out"))
    }
}
