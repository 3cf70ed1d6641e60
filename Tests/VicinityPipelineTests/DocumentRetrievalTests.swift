import Foundation
import Testing
import VicinityData
import VicinityHashers
import VicinityLearning
import VicinityMath
@testable import VicinityPipeline

/// Document retrieval figures against a plain restatement of their definitions, and the text
/// baselines (LSA, TF-IDF) against LAPACK's SVD and their formulas.
@Suite struct DocumentRetrievalTests {
    /// Precision at each recall point by growing the list one document at a time.
    func naivePrecision(_ s: [Float], _ labels: [Int], _ label: Int) -> (precision: [Double], ap: Double) {
        let order = s.indices.sorted { s[$0] != s[$1] ? s[$0] > s[$1] : $0 < $1 }
        let relevant = labels.filter { $0 == label }.count
        var out: [Double] = []
        for point in RetrievalReport.recallPoints {
            let needed = max(1, Int((point * Double(relevant)).rounded(.up)))
            for n in 1...order.count where order.prefix(n).filter({ labels[$0] == label }).count >= needed {
                out.append(Double(needed) / Double(n))
                break
            }
        }
        var ap = 0.0
        for n in 1...order.count where labels[order[n - 1]] == label {
            ap += Double(order.prefix(n).filter { labels[$0] == label }.count) / Double(n)
        }
        return (out, ap / Double(relevant))
    }

    @Test func oneQuerysFiguresFollowTheirDefinition() throws {
        var rng = SeededRNG(seed: 4)
        for trial in 0..<40 {
            let n = 30 + rng.below(400)
            // Coarse similarities, so ties (broken by row) are common.
            let s = (0..<n).map { _ in Float(rng.below(trial % 2 == 0 ? 7 : 1000)) }
            let labels = (0..<n).map { _ in rng.below(4) }
            let label = labels[0]
            let got = try #require(
                DocumentRetrieval.score(
                    similarities: s, labels: labels, label: label, points: RetrievalReport.recallPoints))
            let want = naivePrecision(s, labels, label)
            #expect(got.precision == want.precision)
            #expect(abs(got.ap - want.ap) < 1e-12)
        }
        #expect(DocumentRetrieval.score(similarities: [1, 2], labels: [0, 0], label: 1, points: [1]) == nil)
    }

    @Test func rankingIsByCosine() {
        // Two topics on two axes: every relevant document ranks first; scaling rows changes nothing.
        var rng = SeededRNG(seed: 2)
        var rows: [Float] = [], labels: [Int] = []
        for i in 0..<60 {
            let t = i % 2
            let scale = 0.1 + 10 * rng.uniform()
            rows += t == 0 ? [scale, 0.01 * scale] : [0.01 * scale, scale]
            labels.append(t)
        }
        let base = Matrix(rows: 60, cols: 2, storage: rows)
        let queries = Matrix([[1, 0], [0, 3], [2, 0.1]])
        let r = DocumentRetrieval.run(
            name: "axes", database: base, databaseLabels: labels, queries: queries, queryLabels: [0, 1, 0],
            queryCount: 3)
        #expect(r.queries == 3 && r.database == 60 && r.dims == 2)
        #expect(r.precisionPercent.allSatisfy { abs($0 - 100) < 1e-9 } && abs(r.mapPercent - 100) < 1e-9)
        let keys = (r.json["precision_at_recall"] as? [String: Double]).map { Set($0.keys) }
        #expect(keys == ["0.1", "0.4", "1.6", "6.4", "25", "100"])
    }

    @Test func lsaIsTheTruncatedSVDOfLogCounts() throws {
        var rng = SeededRNG(seed: 6)
        let counts = Matrix(rows: 40, cols: 9, storage: (0..<360).map { _ in Float(rng.below(5)) })
        let lsa = try LSAEmbedding(fitting: counts, components: 3)
        let codes = lsa.embed(counts)
        var logs = counts
        logs.applyElementwise { v in for i in v.indices { v[i] = log1p(v[i]) } }
        let (u, s, _) = try LAPACK.svd(logs)
        // Training documents' codes are UΣ's first columns, up to each column's sign.
        for j in 0..<3 {
            let sign: Float = (codes[0, j] * u[0, j]) >= 0 ? 1 : -1
            for i in 0..<40 { #expect(abs(codes[i, j] - sign * u[i, j] * s[j]) < 2e-3 * s[0], "row \(i) col \(j)") }
        }
        #expect(lsa.name == "lsa:3")
        #expect(throws: LearningError.self) { try LSAEmbedding(fitting: counts, components: 10) }
    }

    @Test func tfidfWeighsByInverseDocumentFrequency() {
        let counts = Matrix([[2, 1, 0], [0, 1, 0], [0, 1, 0], [1, 1, 0]])
        let tfidf = TFIDFEmbedding(fitting: counts)
        #expect(abs(tfidf.idf[0] - log(2)) < 1e-6 && tfidf.idf[1] == 0 && tfidf.idf[2] == 0)
        let out = tfidf.embed(Matrix([[3, 5, 7], [0, 2, 0]]))
        #expect(abs(out[0, 0] - 1) < 1e-6 && out[0, 1] == 0 && out[0, 2] == 0)  // unit length after weighting
        #expect(out.storage[3...].allSatisfy { $0 == 0 })  // only an everywhere word: a zero row stays zero
    }

    @Test func aHasherCanReadAnotherEmbeddingsCodes() throws {
        var rng = SeededRNG(seed: 8)
        let counts = Matrix(rows: 60, cols: 10, storage: (0..<600).map { _ in Float(rng.below(4)) })
        let train = Dataset(
            name: "docs", features: counts, labels: (0..<60).map { $0 % 3 }, ids: (0..<60).map { "d\($0)" },
            imageRows: 1, imageCols: 10)
        let composed = try #require(try Baselines.hasher("itq:4@lsa:6", training: train, reporter: SilentReporter()))
        let lsa = try LSAEmbedding(fitting: counts, components: 6)
        let direct = try ITQ.fit(lsa.embed(counts), bits: 4, seed: 1).hasher
        #expect(composed.project(counts).storage == direct.project(lsa.embed(counts)).storage)
        #expect(composed.kind == "itq@lsa:6" && composed.bits == 4 && composed.inputDims == 10)
        #expect(throws: PipelineError.self) {
            try Baselines.hasher("pca:3@lsa:6", training: train, reporter: SilentReporter())
        }
    }
}
