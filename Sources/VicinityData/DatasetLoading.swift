import Foundation
import VicinityMath

extension Dataset {
    /// Where Fashion-MNIST is looked for when `VICINITY_FASHION_MNIST` is unset
    /// (Debian's dataset-fashion-mnist package installs it there).
    public static let fashionMNISTDefaultDirectory = "/usr/share/datasets/fashion-mnist"
    public static let fashionMNISTEnvironmentVariable = "VICINITY_FASHION_MNIST"
    /// Fashion-MNIST's ten classes, by label.
    public static let fashionMNISTClassNames = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]

    /// Loads one split of an MNIST-layout data set.
    ///
    /// `spec` is `"fashion-mnist"` (directory from `$VICINITY_FASHION_MNIST`,
    /// else `fashionMNISTDefaultDirectory`) or any directory holding
    /// `train-images-idx3-ubyte[.gz]`, `train-labels-idx1-ubyte[.gz]`,
    /// `t10k-images-idx3-ubyte[.gz]`, `t10k-labels-idx1-ubyte[.gz]`.
    /// ids are `train-<i>` / `test-<i>`; the name is `<spec name>/<split>`.
    public static func load(_ spec: String, split: Split) throws -> Dataset {
        try load(spec, split: split, environment: ProcessInfo.processInfo.environment)
    }

    /// As `load(_:split:)`, with the environment and default location passed in (for tests).
    static func load(
        _ spec: String, split: Split, environment: [String: String],
        defaultDirectory: String = fashionMNISTDefaultDirectory
    ) throws -> Dataset {
        let named = spec.lowercased() == "fashion-mnist"
        // A document set (scripts/data/debian-descriptions) carries its own splits too.
        if !named && isDocumentSet(spec) { return try loadDocuments(directory: spec, split: split) }
        let fromEnv = named ? environment[fashionMNISTEnvironmentVariable].flatMap { $0.isEmpty ? nil : $0 } : nil
        let dir = named ? (fromEnv ?? defaultDirectory) : spec
        let prefix = split == .train ? "train" : "t10k"
        let imagesName = "\(prefix)-images-idx3-ubyte", labelsName = "\(prefix)-labels-idx1-ubyte"

        func notFound(_ what: String) -> DataError {
            if named {
                let hint =
                    fromEnv != nil
                    ? "\(fashionMNISTEnvironmentVariable) points here; it must hold \(what)"
                    : "install Debian's dataset-fashion-mnist, run scripts/setup, or set \(fashionMNISTEnvironmentVariable)"
                return .datasetNotFound(name: "Fashion-MNIST", directory: dir, hint: hint)
            }
            if !isDirectory(dir) {
                return .datasetNotFound(
                    name: "data set", directory: dir,
                    hint:
                        "give \"fashion-mnist\" or a directory holding train-/t10k- images-idx3-ubyte[.gz] and labels-idx1-ubyte[.gz] files"
                )
            }
            return .datasetNotFound(name: what, directory: dir, hint: "")
        }
        guard isDirectory(dir) else { throw notFound("\(imagesName)[.gz]") }
        guard let imagesPath = existingVariant(dir, imagesName) else { throw notFound("\(imagesName)[.gz]") }
        guard let labelsPath = existingVariant(dir, labelsName) else { throw notFound("\(labelsName)[.gz]") }

        let (images, rows, cols) = try readIDXImages(imagesPath)
        let labels = try readIDXLabels(labelsPath)
        guard labels.count == images.rows else {
            throw DataError.labelCountMismatch(
                images: imagesPath, imageCount: images.rows,
                labels: labelsPath, labelCount: labels.count)
        }
        let base = named ? "fashion-mnist" : baseName((dir as NSString).standardizingPath)
        let tag = split.rawValue
        return Dataset(
            name: "\(base)/\(tag)", features: images, labels: labels,
            ids: (0..<images.rows).map { "\(tag)-\($0)" }, imageRows: rows, imageCols: cols)
    }

    /// Loads a single source, strictly (any bad image is an error):
    /// - a directory: an image folder (see `readImageFolder`);
    /// - `*.csv` / `*.csv.gz`: `label,p1,…,pD` rows (see `readCSV`);
    /// - `*.npy`: uint8 images or float rows (see `NPYArray.features`), labels from `labels`;
    /// - anything else: an IDX file — N×rows×cols unsigned bytes, or N×D
    ///   unsigned bytes (both divided by 255), or float32/float64 with values
    ///   already in [0, 1].
    /// `labels`, when given, replaces the labels found in the source: an IDX
    /// labels file, a 1-D integer .npy or a text file of one integer per line, one per image
    /// (for a folder: one per image file, in the folder's order).
    /// ids are the row index as text for files, the image ids for folders.
    /// A folder's images are brought to `geometry` by `fit` (see `readImageFolder`).
    public static func load(
        images: String, labels: String? = nil, geometry: ImageGeometry? = nil,
        fit: ImageFit = .crop
    ) throws -> Dataset {
        try loadSource(images: images, labels: labels, strict: true, geometry: geometry, fit: fit).dataset
    }

    /// As `load(images:labels:)`, but images that cannot be decoded or
    /// have the wrong size are skipped and returned for reporting.
    public static func loadSkippingBad(
        images: String, labels: String? = nil, geometry: ImageGeometry? = nil,
        fit: ImageFit = .crop
    ) throws
        -> (dataset: Dataset, skipped: [ImageFailure])
    {
        try loadSource(images: images, labels: labels, strict: false, geometry: geometry, fit: fit)
    }

    private static func loadSource(
        images: String, labels labelsPath: String?, strict: Bool,
        geometry: ImageGeometry?, fit: ImageFit
    ) throws
        -> (dataset: Dataset, skipped: [ImageFailure])
    {
        let name = baseName((images as NSString).standardizingPath)
        let external = try labelsPath.map(readLabels)

        if isDirectory(images) {
            let folder = try readImageFolder(images, geometry: geometry, fit: fit, strict: strict)
            var labels = folder.labels
            if let external, let labelsPath {
                guard external.count == folder.fileCount else {
                    throw DataError.labelCountMismatch(
                        images: images, imageCount: folder.fileCount,
                        labels: labelsPath, labelCount: external.count)
                }
                labels = folder.fileIndices.map { external[$0] }
            }
            let ds = Dataset(
                name: name, features: folder.images, labels: labels, ids: folder.ids,
                imageRows: folder.rows, imageCols: folder.cols, imageChannels: folder.geometry.channels,
                classNames: labelsPath == nil ? folder.classNames : [])
            return (ds, folder.failures)
        }

        let features: Matrix
        var labels: [Int]
        var shape: (rows: Int, cols: Int)
        let lower = images.lowercased()
        var channels = 1
        if lower.hasSuffix(".csv") || lower.hasSuffix(".csv.gz") {
            let table = try readCSV(images)
            features = table.features
            labels = table.labels
            shape = guessedShape(features.cols)
        } else if lower.hasSuffix(".npy") {
            let (m, geometry) = try readNPY(images).features(path: images)
            (features, shape, channels) = (m, (geometry.height, geometry.width), geometry.channels)
            labels = [Int](repeating: -1, count: features.rows)
        } else {
            (features, shape) = try readIDXFeatures(images)
            labels = [Int](repeating: -1, count: features.rows)
        }
        if let external, let labelsPath {
            guard external.count == features.rows else {
                throw DataError.labelCountMismatch(
                    images: images, imageCount: features.rows,
                    labels: labelsPath, labelCount: external.count)
            }
            labels = external
        }
        let ds = Dataset(
            name: name, features: features, labels: labels,
            ids: (0..<features.rows).map { String($0) },
            imageRows: shape.rows, imageCols: shape.cols, imageChannels: channels)
        return (ds, [])
    }
}

/// `dir/name` if it exists, else `dir/name.gz`, else nil.
func existingVariant(_ dir: String, _ name: String) -> String? {
    let plain = (dir as NSString).appendingPathComponent(name)
    for candidate in [plain, plain + ".gz"]
    where FileManager.default.isReadableFile(atPath: candidate) && !isDirectory(candidate) {
        return candidate
    }
    return nil
}

/// Any IDX file with at least two dimensions as N×D features in [0, 1].
func readIDXFeatures(_ path: String) throws -> (Matrix, (rows: Int, cols: Int)) {
    let bytes = try readFileBytes(path)
    if idxMagic(bytes) == 0x0000_0803 {
        let (m, r, c) = try decodeIDXImages(bytes, path: path)
        return (m, (r, c))
    }
    let array = try decodeIDX(bytes, path: path)
    guard array.dims.count >= 2 else {
        throw DataError.malformed(
            path: path, detail: "IDX array of shape \(array.dims) has one dimension; images need N×D or N×rows×cols")
    }
    let n = array.dims[0]
    let d = array.dims.dropFirst().reduce(1, *)
    let shape = array.dims.count == 3 ? (array.dims[1], array.dims[2]) : guessedShape(d)
    var values: [Float]
    switch array.elements {
    case .uint8(let a):
        values = bytesToUnitFloats(a, from: 0, count: a.count)
    case .float32, .float64:
        values = array.floats()
        if let bad = values.firstIndex(where: { !($0 >= 0 && $0 <= 1) }) {
            throw DataError.malformed(
                path: path, detail: "\(array.type) value \(values[bad]) at element \(bad) is outside [0, 1]")
        }
    default:
        throw DataError.malformed(
            path: path,
            detail: "\(array.type) IDX data cannot be used as image features (use unsigned bytes, or floats in [0, 1])")
    }
    return (Matrix(rows: n, cols: d, storage: values), shape)
}

/// Labels from an IDX labels file (detected by its zero first bytes, gzip
/// or not) or a text file with one integer per line (blank lines skipped).
public func readLabels(_ path: String) throws -> [Int] {
    if path.lowercased().hasSuffix(".npy") { return try readNPY(path).labels(path: path) }
    let bytes = try readFileBytes(path)
    if bytes.count >= 4 && bytes[0] == 0 && bytes[1] == 0 {
        return try decodeIDXLabels(bytes, path: path)
    }
    var labels: [Int] = []
    let text = String(decoding: bytes, as: UTF8.self)
    for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        let field = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if field.isEmpty { continue }
        guard let v = Int(field) else {
            throw DataError.malformed(path: path, detail: "line \(i + 1): label '\(field)' is not an integer")
        }
        labels.append(v)
    }
    return labels
}
