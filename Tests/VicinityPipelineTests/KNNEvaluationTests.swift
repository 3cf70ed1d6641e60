import Testing
import VicinityPipeline
import VicinityMath
import VicinitySearch

@Suite struct KNNEvaluationTests {
    @Test func scoresCountErrorsPerClassAndConfusion() {
        // Truth 0,0,1,1,2 predicted 0,1,1,1,0: two errors.
        let s = ClassificationScores(predicted: [0, 1, 1, 1, 0], truth: [0, 0, 1, 1, 2], classes: 3)
        #expect(s.errors == 2 && s.errorPercent == 40)
        #expect(s.perClassErrorPercent == [50, 0, 100])
        #expect(s.confusion == [[1, 1, 0], [0, 2, 0], [1, 0, 0]])
    }

    @Test func reportVotesEveryKFromOneNeighbourList() {
        let n = { (i: Int) in Neighbor(distance: 0, index: i) }
        let hits = [[n(0), n(1), n(2)], [n(2), n(1), n(0)]]
        let report = KNNEvaluation.report(
            neighbours: hits, databaseLabels: [1, 2, 2], queryLabels: [2, 2], ks: [1, 3],
            confusionK: 3, dims: 4)
        #expect(report.errorPercent == [1: 50, 3: 0])
        #expect(report.scores[3]!.confusion == [[0, 0, 0], [0, 0, 0], [0, 0, 2]])
        let keys = Set(report.json.keys)
        #expect(
            keys == [
                "model", "data", "queries", "database", "dims", "knn_error_percent", "knn_errors",
                "per_class_error_percent", "confusion", "seconds",
            ])
    }

    @Test func exactSearchAgreesWithBruteForceVotes() {
        var rng = SeededRNG(seed: 5)
        let base = Matrix(rows: 500, cols: 6, storage: rng.gaussians(3000))
        let labels = (0..<500).map { $0 % 4 }
        let queries = Matrix(rows: 50, cols: 6, storage: rng.gaussians(300))
        let truth = (0..<50).map { $0 % 4 }
        let report = KNNEvaluation.run(
            database: base, databaseLabels: labels, queries: queries, queryLabels: truth, ks: [1, 5])
        var wrong = 0
        for q in 0..<50 {
            let order = (0..<500).sorted { a, b in
                let da = (0..<6).reduce(0.0) {
                    $0 + Double(base[a, $1] - queries[q, $1]) * Double(base[a, $1] - queries[q, $1])
                }
                let db = (0..<6).reduce(0.0) {
                    $0 + Double(base[b, $1] - queries[q, $1]) * Double(base[b, $1] - queries[q, $1])
                }
                return (da, a) < (db, b)
            }
            if KNNVote.predict(order.prefix(5).map { labels[$0] }[...]) != truth[q] { wrong += 1 }
        }
        #expect(report.scores[5]!.errors == wrong)
    }
}

@Suite struct KNNVoteTests {
    @Test func majorityWinsAndTiesGoToTheNearestTiedClass() {
        #expect(KNNVote.predict([3, 1, 1][...]) == 1)
        #expect(KNNVote.predict([2, 1, 1, 2][...]) == 2)  // 2–2 tie: class 2 has the nearest member
        #expect(KNNVote.predict([5, 1, 2][...]) == 5)  // all tied: the nearest wins
        #expect(KNNVote.predict([0, 9, 9, 0, 7][...]) == 0)
        #expect(KNNVote.predict([][...]) == -1)
    }
}
