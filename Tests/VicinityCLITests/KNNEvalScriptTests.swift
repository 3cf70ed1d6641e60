import Foundation
import Testing

/// scripts/knn_eval.py, the protocol's reference client, against a real server on a real store.
@Suite struct KNNEvalScriptTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../scripts/knn_eval.py").standardized.path

    func runScript(_ arguments: [String]) throws -> CLIResult {
        try runProgram(URL(fileURLWithPath: "/usr/bin/env"), ["python3", KNNEvalScriptTests.script] + arguments)
    }

    @Test func agreesWithEvalToTheLastQuery() throws {
        let dir = try temporaryFolder()
        _ = try writeIDXDataset(in: dir, train: 3000, test: 400, side: 8)
        let model = dir.appendingPathComponent("m.safetensors").path
        try writeStoreTestModel(model, sizes: [64, 32, 8])
        let store = dir.appendingPathComponent("store").path
        let embed = try runVicinity(["embed", "--model", model, "--data", dir.path, "--store", store])
        try #require(embed.status == 0, "\(embed.stderr)")

        let server = try ServerProcess(["--store", store, "--model", model])
        let csvScript = dir.appendingPathComponent("script.csv").path,
            csvEval = dir.appendingPathComponent("eval.csv").path
        let common = ["--data", dir.path, "--k", "1,3,5,11"]
        let script = try runScript(
            ["--port", String(server.port), "--predictions", csvScript, "--window", "64"] + common)
        #expect(script.status == 0, "\(script.stderr)")
        let eval = try runVicinity(
            ["eval", "--model", model, "--store", store, "--no-baselines", "--predictions", csvEval] + common)
        #expect(eval.status == 0, "\(eval.stderr)")

        // Every query's prediction at every k, then the printed table line for line (after the header).
        let predictions = try String(contentsOfFile: csvScript, encoding: .utf8)
        #expect(predictions.split(separator: "\n").count == 401)
        #expect(predictions == (try String(contentsOfFile: csvEval, encoding: .utf8)))
        // The server's own vote (CLASSIFY) gives the same predictions.
        let csvClassify = dir.appendingPathComponent("classify.csv").path
        let classify = try runScript(
            ["--port", String(server.port), "--predictions", csvClassify, "--classify"] + common)
        #expect(classify.status == 0, "\(classify.stderr)")
        #expect(try String(contentsOfFile: csvClassify, encoding: .utf8) == predictions)
        let scriptLines = script.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().filter {
            !$0.isEmpty
        }
        let evalLines = eval.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().filter {
            !$0.isEmpty
        }
        #expect(scriptLines.count == 1 + 4 + 2 + 3)  // k table, per-class heading and header, 3 classes
        #expect(Array(evalLines.prefix(scriptLines.count)) == Array(scriptLines))

        let json = try parseJSON(try runScript(["--port", String(server.port), "--json"] + common).stdout)
        let evalJSON = try parseJSON(
            try runVicinity(["eval", "--model", model, "--store", store, "--no-baselines", "--json"] + common).stdout)
        #expect(json["knn_errors"] as? [String: Int] == evalJSON["knn_errors"] as? [String: Int])
        let scriptMatrix = try #require((json["confusion"] as? [String: Any])?["matrix"] as? [[Int]])
        let evalMatrix = try #require((evalJSON["confusion"] as? [String: Any])?["matrix"] as? [[Int]])
        #expect(scriptMatrix == evalMatrix)
        withExtendedLifetime(server) {}
    }

    @Test func aServerThatIsNotThereIsAClearError() throws {
        let dir = try temporaryFolder()
        _ = try writeIDXDataset(in: dir, train: 10, test: 10, side: 4)
        let result = try runScript(["--port", "1", "--data", dir.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("cannot connect to 127.0.0.1:1"))
        let noData = try runScript(["--data", dir.appendingPathComponent("missing").path])
        #expect(noData.status != 0 && noData.stderr.contains("no t10k-images-idx3-ubyte"))
    }
}

/// `vicinity eval --json` carries the documented keys (its --help lists them).
@Suite struct EvalJSONTests {
    @Test func modelFileReportHasTheDocumentedKeys() throws {
        let dir = try temporaryFolder()
        _ = try writeIDXDataset(in: dir, train: 500, test: 100, side: 4)
        let model = dir.appendingPathComponent("m.safetensors").path
        try writeStoreTestModel(model, sizes: [16, 8, 6])
        let result = try runVicinity(["eval", "--model", model, "--data", dir.path, "--json", "--k", "1,5"])
        try #require(result.status == 0, "\(result.stderr)")
        let json = try parseJSON(result.stdout)
        let reportKeys: Set = [
            "model", "data", "queries", "database", "dims", "knn_error_percent", "knn_errors",
            "per_class_error_percent", "confusion", "seconds",
        ]
        #expect(Set(json.keys) == reportKeys.union(["baselines", "hamming"]))
        let baselines = try #require(json["baselines"] as? [String: [String: Any]])
        #expect(Set(baselines.keys) == ["pixels", "pca:6"])
        #expect(baselines.values.allSatisfy { Set($0.keys) == reportKeys })
        let hamming = try #require(json["hamming"] as? [String: Any])
        #expect(
            Set(hamming.keys) == [
                "bits", "queries", "database", "map_percent", "precision_radius2_percent",
                "precision_at_percent", "knn_error_percent", "knn_errors", "per_class_error_percent",
                "confusion", "near_binary_percent",
            ])
        let confusion = try #require(json["confusion"] as? [String: Any])
        #expect(confusion["k"] as? Int == 5)
        let matrix = try #require(confusion["matrix"] as? [[Int]])
        let total: Int = matrix.map { $0.reduce(0, +) }.reduce(0, +)
        #expect(matrix.count == 3 && total == 100)
        let errors = try #require(json["knn_errors"] as? [String: Int])
        let correct: Int = (0..<3).map { matrix[$0][$0] }.reduce(0, +)
        #expect(errors["5"] == 100 - correct)
    }
}
