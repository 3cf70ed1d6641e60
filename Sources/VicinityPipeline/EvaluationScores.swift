import Foundation
import VicinityMath

/// A model's float-code report and, when it has binary codes, their figures.
public struct Scored: Sendable {
    public var report: KNNReport
    public var hamming: BinaryScores?
}

/// Hamming retrieval figures and Hamming-kNN classification error of binary codes.
public struct BinaryScores: Sendable {
    public var retrieval: HammingReport
    public var knn: KNNReport
    /// Percent of the test set's logistic activations (before thresholding) within 0.1 of 0 or 1.
    public var nearBinaryPercent: Double?

    /// The `hamming` object of `vicinity eval --json`.
    public var json: [String: Any] {
        var object = retrieval.json
        for key in ["knn_error_percent", "knn_errors", "per_class_error_percent", "confusion"] {
            object[key] = knn.json[key]
        }
        if let nearBinaryPercent { object["near_binary_percent"] = nearBinaryPercent }
        return object
    }

    /// The one-line summary `vicinity eval` prints.
    public var summary: String {
        let r = retrieval
        return String(
            format:
                "binary codes (%d bits): mAP %.2f %%, precision within radius 2 %.2f %% (%d queries); Hamming kNN error ",
            r.bits, r.mapPercent, r.precisionRadius2Percent, r.queries)
            + knn.ks.map { "k=\($0) \(String(format: "%.2f", knn.errorPercent[$0]!)) %" }.joined(separator: ", ")
            + (nearBinaryPercent.map { String(format: "; %.1f %% of activations within 0.1 of 0 or 1", $0) } ?? "")
    }
}

/// A hashing baseline's retrieval figures, as `vicinity eval --model lsh:B` reports them.
public struct HammingRun: Sendable {
    public var report: HammingReport
    public var queries: Int
    public var database: Int
    public var seconds: Double
}

/// Percent of values within 0.1 of 0 or 1: how binary logistic activations already are.
func nearBinaryPercent(_ activations: Matrix) -> Double {
    let near = activations.storage.lazy.filter { $0 < 0.1 || $0 > 0.9 }.count
    return activations.storage.isEmpty ? 0 : 100 * Double(near) / Double(activations.storage.count)
}
