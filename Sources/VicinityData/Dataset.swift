import VicinityMath

/// Which half of a train/test data set.
public enum Split: String, Sendable, CaseIterable {
    case train, test
}

/// A labelled collection of images, flattened to feature vectors.
public struct Dataset: Sendable {
    public let name: String
    /// N×D, every value in [0, 1]; row i is image i, row-major pixels.
    public let features: Matrix
    /// One per row; -1 means unknown.
    public let labels: [Int]
    /// One per row, unique within the data set (e.g. "train-17", "3/img_001").
    public let ids: [String]
    /// Image shape with imageRows × imageCols == dims. For flat sources
    /// without a shape (CSV, 2-D IDX) it is the square root when D is a
    /// perfect square, else 1 × D.
    public let imageRows: Int
    public let imageCols: Int
    /// 1 (grey) or 3 (RGB, interleaved: D = rows·cols·3).
    public let imageChannels: Int
    /// Class names by label, when the source names its classes (a folder of class folders); else empty.
    public let classNames: [String]
    /// The words the features count, for a document set (docs/DOCUMENTS.md); nil for images.
    public let vocabulary: Vocabulary?
    /// See `fingerprint(features:labels:)`: 16 hex digits of a word-wise
    /// FNV-1a 64-bit hash of the shape, feature bits and labels. Computed
    /// once here, since the stored properties are immutable.
    public let fingerprint: String

    public var count: Int { features.rows }
    public var dims: Int { features.cols }

    public init(
        name: String, features: Matrix, labels: [Int], ids: [String],
        imageRows: Int, imageCols: Int, imageChannels: Int = 1, classNames: [String] = [],
        vocabulary: Vocabulary? = nil
    ) {
        precondition(labels.count == features.rows, "\(name): \(labels.count) labels for \(features.rows) rows")
        precondition(ids.count == features.rows, "\(name): \(ids.count) ids for \(features.rows) rows")
        precondition(
            imageRows * imageCols * imageChannels == features.cols,
            "\(name): image shape \(imageRows)×\(imageCols)×\(imageChannels) does not match \(features.cols) features")
        self.name = name
        self.features = features
        self.labels = labels
        self.ids = ids
        self.imageRows = imageRows
        self.imageCols = imageCols
        self.imageChannels = imageChannels
        self.classNames = classNames
        self.vocabulary = vocabulary
        self.fingerprint = VicinityData.fingerprint(features: features, labels: labels)
    }

    /// The given rows, in order, as a new data set (same name and shape).
    public func subset(_ indices: some Collection<Int>) -> Dataset {
        let idx = Array(indices)
        return Dataset(
            name: name, features: features.rows(idx), labels: idx.map { labels[$0] },
            ids: idx.map { ids[$0] }, imageRows: imageRows, imageCols: imageCols, imageChannels: imageChannels,
            classNames: classNames, vocabulary: vocabulary)
    }

    /// The input geometry of these images.
    public var geometry: ImageGeometry { ImageGeometry(height: imageRows, width: imageCols, channels: imageChannels) }

    /// The first `n` rows (all of them if there are fewer).
    public func prefix(_ n: Int) -> Dataset {
        subset(0..<min(max(0, n), count))
    }
}

/// Image shape for D flat features: a square if D is one, else one row.
func guessedShape(_ d: Int) -> (rows: Int, cols: Int) {
    let s = Int(Double(d).squareRoot().rounded())
    return s * s == d ? (s, s) : (1, d)
}
