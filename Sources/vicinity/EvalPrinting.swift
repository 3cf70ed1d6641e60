import Foundation
import VicinityPipeline

/// Everything one `vicinity eval` of an embedding prints.
struct EvalReport {
    var scored: Scored
    var baselines: [(name: String, report: KNNReport)]
    var reconstruction: ReconstructionReport?
    /// Document sets: the model's retrieval figures first, then its baselines'.
    var retrieval: [RetrievalReport] = []
    var classNames: [String]

    /// The --json object: the model's report, with baselines, reconstruction and hamming beside it.
    var json: [String: Any] {
        var object = scored.report.json
        if !baselines.isEmpty {
            object["baselines"] = Dictionary(uniqueKeysWithValues: baselines.map { ($0.name, $0.report.json) })
        }
        if let reconstruction { object["reconstruction"] = reconstruction.json }
        if let h = scored.hamming { object["hamming"] = h.json }
        for (i, r) in retrieval.enumerated() {
            let figures = r.json
            if i == 0 {
                object["precision_at_recall"] = figures["precision_at_recall"]
                object["retrieval_map_percent"] = r.mapPercent
            } else {
                var entry = object["baselines"].flatMap { ($0 as? [String: Any])?[r.name] as? [String: Any] } ?? [:]
                entry["precision_at_recall"] = figures["precision_at_recall"]
                entry["retrieval_map_percent"] = r.mapPercent
                var all = object["baselines"] as? [String: Any] ?? [:]
                all[r.name] = entry
                object["baselines"] = all
            }
        }
        return object
    }
}

extension Vicinity.Eval {
    func printTable(_ report: EvalReport) {
        let r = report.scored.report
        print(
            "model \(model) · \(r.dims)-D · \(r.queries) queries against \(r.database)\(store.map { " in \($0)" } ?? "") · \(String(format: "%.1f", r.seconds)) s"
        )
        print(r.table(classNames: report.classNames))
        if !report.baselines.isEmpty {
            print("\nsame split, same search: kNN error %")
            let rows = [((model as NSString).lastPathComponent, r)] + report.baselines.map { ($0.name, $0.report) }
            let width = rows.map(\.0.count).max()! + 2
            print(
                "embedding".padding(toLength: width, withPad: " ", startingAt: 0)
                    + ks.map { String(repeating: " ", count: max(0, 8 - "k=\($0)".count)) + "k=\($0)" }.joined())
            for (name, b) in rows {
                print(
                    name.padding(toLength: width, withPad: " ", startingAt: 0)
                        + ks.map { String(format: "%8.2f", b.errorPercent[$0]!) }.joined())
            }
        }
        if let h = report.scored.hamming {
            print("\n" + h.summary)
            print("Hamming kNN (neighbours by Hamming distance, ties by row):")
            print(h.knn.table(classNames: report.classNames))
        }
        if let first = report.retrieval.first {
            print(
                "\nretrieval by cosine: \(first.queries) test documents ranking \(first.database); precision % at recall"
            )
            let width = ([(model as NSString).lastPathComponent] + report.retrieval.map(\.name)).map(\.count).max()! + 2
            let columns = RetrievalReport.recallPoints.map { RetrievalReport.label($0) + " %" } + ["mAP"]
            print(
                "embedding".padding(toLength: width, withPad: " ", startingAt: 0)
                    + columns.map { String(repeating: " ", count: max(0, 8 - $0.count)) + $0 }.joined())
            for (i, r) in report.retrieval.enumerated() {
                let name = i == 0 ? (model as NSString).lastPathComponent : r.name
                print(
                    name.padding(toLength: width, withPad: " ", startingAt: 0)
                        + (r.precisionPercent + [r.mapPercent]).map { String(format: "%8.2f", $0) }.joined())
            }
        }
        if let rec = report.reconstruction {
            print(
                String(
                    format: "\nreconstruction: %.2f squared error per test image (PCA-%d: %.2f, ratio %.2f)",
                    rec.msePerImage, rec.codeDims, rec.pcaMSEPerImage, rec.msePerImage / rec.pcaMSEPerImage))
        }
    }

    /// A hashing baseline's figures.
    func printHamming(_ run: HammingRun) throws {
        let report = run.report
        if json {
            try printJSON([
                "model": model, "data": dataOptions.data, "queries": run.queries, "database": run.database,
                "seconds": run.seconds, "hamming": report.json,
            ])
        } else {
            print(
                "model \(model) · \(report.bits) bits · \(run.queries) queries ranking \(run.database) · \(String(format: "%.1f", run.seconds)) s"
            )
            print(
                String(
                    format:
                        "mAP %.2f %%   precision within radius 2 %.2f %%   precision@10 %.2f %%   precision@100 %.2f %%",
                    report.mapPercent, report.precisionRadius2Percent, report.precisionAt[10] ?? 0,
                    report.precisionAt[100] ?? 0))
        }
    }
}
