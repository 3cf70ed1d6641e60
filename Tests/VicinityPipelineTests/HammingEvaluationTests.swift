import Testing
import VicinityCodes
import VicinityMath
@testable import VicinityPipeline

@Suite struct HammingEvaluationTests {
    /// mAP, precision within radius 2, precision@k and the curve against a direct computation.
    @Test func matchesANaiveComputation() throws {
        var rng = SeededRNG(seed: 12)
        let bits = 10
        let database = Matrix(rows: 300, cols: bits, storage: (0..<3000).map { _ in rng.uniform() - 0.5 })
        let queries = Matrix(rows: 20, cols: bits, storage: (0..<200).map { _ in rng.uniform() - 0.5 })
        let dbLabels = (0..<300).map { _ in rng.below(3) }, qLabels = (0..<20).map { _ in rng.below(3) }
        let db = BinaryCodes(thresholding: database, at: 0), qs = BinaryCodes(thresholding: queries, at: 0)
        let report = HammingEvaluation.run(
            database: db, databaseLabels: dbLabels, queries: qs, queryLabels: qLabels,
            precisionKs: [5])
        var map = 0.0, p2 = 0.0, p5 = 0.0
        for q in 0..<20 {
            let d = (0..<300).map { Hamming.distance(db.code($0), qs.code(q)) }
            let ranking = (0..<300).sorted { (d[$0], $0) < (d[$1], $1) }
            var found = 0, sum = 0.0
            for (r, i) in ranking.enumerated() where dbLabels[i] == qLabels[q] {
                found += 1; sum += Double(found) / Double(r + 1)
            }
            map += found == 0 ? 0 : sum / Double(found)
            let ball = (0..<300).filter { d[$0] <= 2 }
            p2 += ball.isEmpty ? 0 : Double(ball.filter { dbLabels[$0] == qLabels[q] }.count) / Double(ball.count)
            p5 += Double(ranking.prefix(5).filter { dbLabels[$0] == qLabels[q] }.count) / 5
        }
        #expect(abs(report.mapPercent - 100 * map / 20) < 1e-9)
        #expect(abs(report.precisionRadius2Percent - 100 * p2 / 20) < 1e-9)
        #expect(abs(report.precisionAt[5]! - 100 * p5 / 20) < 1e-9)
        #expect(report.curve.count == bits + 1 && abs(report.curve.last!.recall - 1) < 1e-12)
        #expect(report.curveCSV.hasPrefix("radius,precision,recall\n0,"))
    }
}
