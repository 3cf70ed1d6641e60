import Foundation
import Testing
import VicinityData
import VicinityLearning
import VicinityMath

@Suite struct CLITests {
    @Test func helpDescribesEverySubcommand() throws {
        let r = try runVicinity(["--help"])
        #expect(r.status == 0)
        for command in ["train", "embed", "serve", "query", "eval", "inspect", "export", "bench", "plot"] {
            #expect(r.stdout.contains("  \(command) "), "help lacks \(command)")
        }
    }

    @Test func evalMatchesABruteForceKNNOnAFixture() throws {
        let dir = try temporaryFolder()
        let set = try writeIDXDataset(in: dir, train: 120, test: 40)
        let r = try runVicinity(["eval", "--model", "pixels", "--data", dir.path, "--json", "--k", "1,3"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(json["queries"] as? Int == 40 && json["database"] as? Int == 120 && json["dims"] as? Int == 16)
        #expect(json["model"] as? String == "pixels" && json["seconds"] is Double)
        let errors = try #require(json["knn_error_percent"] as? [String: Double])
        // Independent reference: integer squared distances, stable sort, majority vote, nearest tied class.
        for k in [1, 3] {
            var wrong = 0
            for (q, query) in set.test.enumerated() {
                var scored: [(Int, Int)] = []
                for (i, image) in set.train.enumerated() {
                    var d = 0
                    for (a, b) in zip(query, image) { d += (Int(a) - Int(b)) * (Int(a) - Int(b)) }
                    scored.append((d, i))
                }
                scored.sort { $0 < $1 }
                let labels = scored.prefix(k).map { set.trainLabels[$0.1] }
                var counts: [Int: Int] = [:]
                for l in labels { counts[l, default: 0] += 1 }
                let best = counts.values.max()!
                if labels.first(where: { counts[$0] == best }) != set.testLabels[q] { wrong += 1 }
            }
            #expect(abs(errors[String(k)]! - 100 * Double(wrong) / 40) < 1e-9, "k=\(k)")
        }
    }

    @Test func pcaEvalRunsAndRefusesBadComponentCounts() throws {
        let dir = try temporaryFolder()
        _ = try writeIDXDataset(in: dir, train: 60, test: 10)
        let ok = try runVicinity(["eval", "--model", "pca:3", "--data", dir.path, "--json"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("\"dims\":3"))
        let bad = try runVicinity(["eval", "--model", "pca:99", "--data", dir.path])
        #expect(bad.status != 0 && bad.stderr.contains("pca:99"))
    }

    @Test func missingDataSetNamesTheFolder() throws {
        let r = try runVicinity(
            ["eval", "--model", "pixels"], environment: ["VICINITY_FASHION_MNIST": "/nonexistent/fmnist"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("/nonexistent/fmnist"))
        let dir = try runVicinity(["eval", "--model", "pixels", "--data", "/nonexistent/other"])
        #expect(dir.status != 0 && dir.stderr.contains("/nonexistent/other"))
    }

    @Test func truncatedIDXNamesTheFileAndTheProblem() throws {
        let dir = try temporaryFolder()
        _ = try writeIDXDataset(in: dir, train: 30, test: 10)
        let path = dir.appendingPathComponent("train-images-idx3-ubyte.gz").path
        let raw = try readFileBytes(path)
        try FileManager.default.removeItem(atPath: path)
        try Data(raw.prefix(raw.count - 20)).write(to: dir.appendingPathComponent("train-images-idx3-ubyte"))
        let r = try runVicinity(["eval", "--model", "pixels", "--data", dir.path])
        #expect(r.status != 0)
        #expect(r.stderr.contains("train-images-idx3-ubyte") && r.stderr.contains("truncated"))
    }

    @Test func wrongMagicNamesTheFile() throws {
        let dir = try temporaryFolder()
        _ = try writeIDXDataset(in: dir, train: 30, test: 10)
        let path = dir.appendingPathComponent("t10k-labels-idx1-ubyte.gz").path
        var raw = try readFileBytes(path)
        raw[2] = 0x0D  // float32 where labels must be unsigned bytes
        try FileManager.default.removeItem(atPath: path)
        try Data(raw).write(to: dir.appendingPathComponent("t10k-labels-idx1-ubyte"))
        let r = try runVicinity(["eval", "--model", "pixels", "--data", dir.path])
        #expect(r.status != 0)
        #expect(r.stderr.contains("t10k-labels-idx1-ubyte") && r.stderr.contains("magic"))
    }

    @Test func mismatchedImageSizesAreRefused() throws {
        let dir = try temporaryFolder()
        _ = try writeIDXDataset(in: dir, train: 30, test: 10, side: 4, testSide: 5)
        let r = try runVicinity(["eval", "--model", "pixels", "--data", dir.path])
        #expect(r.status != 0)
        #expect(r.stderr.contains("16") && r.stderr.contains("25"))
    }

    @Test func corruptModelFileNamesTheFile() throws {
        let dir = try temporaryFolder()
        _ = try writeIDXDataset(in: dir, train: 30, test: 10)
        let model = dir.appendingPathComponent("broken.safetensors")
        try Data([0x10, 0, 0, 0, 0, 0, 0, 0, 0x7B]).write(to: model)
        let r = try runVicinity(["eval", "--model", model.path, "--data", dir.path])
        #expect(r.status != 0)
        #expect(r.stderr.contains("broken.safetensors"))
    }

    @Test func savedModelFileIsEvaluated() throws {
        let dir = try temporaryFolder()
        _ = try writeIDXDataset(in: dir, train: 60, test: 20)
        var rng = SeededRNG(seed: 3)
        let net = Network(sizes: [16, 8, 4], hidden: .logistic, output: .linear, rng: &rng)
        let record = TrainingRecord(recipe: "test", seed: 3, dataFingerprint: "0")
        let path = dir.appendingPathComponent("m.safetensors").path
        try EmbeddingModel(network: net, encoderDepth: 2, record: record).save(to: path)
        let r = try runVicinity(["eval", "--model", path, "--data", dir.path, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\"dims\":4"))
        let wrongInput = dir.appendingPathComponent("w.safetensors").path
        try EmbeddingModel(
            network: Network(sizes: [9, 4], hidden: .logistic, output: .linear, rng: &rng),
            encoderDepth: 1, record: record
        ).save(to: wrongInput)
        let bad = try runVicinity(["eval", "--model", wrongInput, "--data", dir.path])
        #expect(bad.status != 0 && bad.stderr.contains("9 inputs"))
        // A model with a decoder also reports reconstruction error next to PCA's.
        let ae = dir.appendingPathComponent("ae.safetensors").path
        try EmbeddingModel(
            network: Network(sizes: [16, 4, 16], hidden: .logistic, output: .logistic, rng: &rng),
            encoderDepth: 1, record: record
        ).save(to: ae)
        let withDecoder = try runVicinity(["eval", "--model", ae, "--data", dir.path, "--json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(withDecoder.stdout.utf8)) as? [String: Any])
        let rec = try #require(json["reconstruction"] as? [String: Any])
        #expect(rec["mse_per_image"] is Double && rec["pca_mse_per_image"] is Double && rec["code_dims"] as? Int == 4)
        // Its code layer is logistic, so its binary codes are evaluated too.
        let hamming = try #require(json["hamming"] as? [String: Any])
        #expect(hamming["bits"] as? Int == 4 && hamming["map_percent"] is Double)
        #expect(!r.stdout.contains("reconstruction"))
    }
}
