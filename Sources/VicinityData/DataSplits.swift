import Foundation
import VicinityMath

/// What `--data`, `--test`, `--test-fraction`, `--size`, `--channels` and `--fit` ask for: a
/// training set and a test set, from an MNIST-layout folder (its own two splits) or from any
/// other source — a folder of class folders, a CSV file, an IDX file — with a separate test
/// source or a seeded, class-stratified fraction held out.
public struct DataRequest: Sendable {
    public var data: String
    public var test: String?
    public var testFraction: Double?
    /// height × width for image folders (default: the model's, else the most common size).
    public var size: (height: Int, width: Int)?
    /// 1 or 3 for image folders (default: the model's, else the most common).
    public var channels: Int?
    public var fit: ImageFit = .crop
    public var seed: UInt64 = 1
    public var strict = false
    /// Labels for a `data` / `test` file that has none of its own (.npy, IDX images): see `readLabels`.
    public var labels: String?
    public var testLabels: String?

    public init(data: String, test: String? = nil, testFraction: Double? = nil) {
        self.data = data
        self.test = test
        self.testFraction = testFraction
    }
}

/// A training set, a test set (nil when none was asked for and the source has none), and
/// the image files that were skipped in either.
public struct DataSplits: Sendable {
    public var train: Dataset
    public var test: Dataset?
    public var skipped: [ImageFailure]
}

extension Dataset {
    /// Whether `spec` names an MNIST-layout data set (`fashion-mnist`, or a folder holding
    /// `train-images-idx3-ubyte[.gz]`), which carries its own train and test splits.
    public static func isIDXLayout(_ spec: String) -> Bool {
        spec.lowercased() == "fashion-mnist" || existingVariant(spec, "train-images-idx3-ubyte") != nil
    }

    /// The splits a request names. `model`, when given, is the geometry images are brought to
    /// unless `size`/`channels` say otherwise. Test class folders are matched to the training
    /// set's classes by name.
    public static func loadSplits(_ request: DataRequest, model: ImageGeometry? = nil) throws -> DataSplits {
        if isIDXLayout(request.data) || isDocumentSet(request.data) {
            let train = try load(request.data, split: .train)
            if let fraction = request.testFraction {
                return try held(out: fraction, of: train, seed: request.seed, skipped: [])
            }
            if let test = request.test {
                let (t, bad) = try loadSource(test, request: request, geometry: train.geometry, names: train.classNames)
                return DataSplits(train: train, test: t, skipped: bad)
            }
            return DataSplits(train: train, test: try load(request.data, split: .test), skipped: [])
        }
        var geometry: ImageGeometry?
        if let size = request.size {
            geometry = ImageGeometry(
                height: size.height, width: size.width, channels: request.channels ?? model?.channels ?? 1)
        } else if let model {
            geometry = ImageGeometry(
                height: model.height, width: model.width, channels: request.channels ?? model.channels)
        }
        var (train, skipped) = try loadSource(request.data, request: request, geometry: geometry, names: nil)
        if let channels = request.channels, train.imageChannels != channels, geometry == nil {
            // Only the channel count was asked for: the most common size, then that many channels.
            (train, skipped) = try loadSource(
                request.data, request: request,
                geometry: ImageGeometry(height: train.imageRows, width: train.imageCols, channels: channels),
                names: nil)
        }
        if let fraction = request.testFraction {
            return try held(out: fraction, of: train, seed: request.seed, skipped: skipped)
        }
        guard let testSpec = request.test else { return DataSplits(train: train, test: nil, skipped: skipped) }
        let (test, bad) = try loadSource(testSpec, request: request, geometry: train.geometry, names: train.classNames)
        return DataSplits(train: train, test: test, skipped: skipped + bad)
    }

    /// One source through `loadSkippingBad` (or strictly), its labels renumbered to `names` when given.
    private static func loadSource(_ spec: String, request: DataRequest, geometry: ImageGeometry?, names: [String]?)
        throws
        -> (Dataset, [ImageFailure])
    {
        var ds: Dataset, bad: [ImageFailure] = []
        let labels = spec == request.data ? request.labels : request.testLabels
        if request.strict {
            ds = try load(images: spec, labels: labels, geometry: geometry, fit: request.fit)
        } else {
            (ds, bad) = try loadSkippingBad(images: spec, labels: labels, geometry: geometry, fit: request.fit)
        }
        if let names, !names.isEmpty, ds.classNames != names {
            let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
            let labels = try ds.labels.map { label -> Int in
                guard label >= 0 else { return -1 }
                let name = label < ds.classNames.count ? ds.classNames[label] : String(label)
                guard let mapped = index[name] else {
                    throw DataError.malformed(
                        path: spec,
                        detail:
                            "class folder '\(name)' is not one of the training classes (\(names.joined(separator: ", ")))"
                    )
                }
                return mapped
            }
            ds = Dataset(
                name: ds.name, features: ds.features, labels: labels, ids: ds.ids, imageRows: ds.imageRows,
                imageCols: ds.imageCols, imageChannels: ds.imageChannels, classNames: names)
        }
        return (ds, bad)
    }

    /// `fraction` of each class drawn as the test set (seeded), the rest the training set; both keep
    /// the source's order. At least one item of every class stays in training.
    static func held(out fraction: Double, of data: Dataset, seed: UInt64, skipped: [ImageFailure]) throws -> DataSplits
    {
        guard fraction > 0 && fraction < 1 else {
            throw DataError.invalidArgument(
                path: data.name, detail: "--test-fraction must be between 0 and 1, got \(fraction)")
        }
        var rng = SeededRNG(seed: seed)
        var byClass: [Int: [Int]] = [:]
        for (i, label) in data.labels.enumerated() { byClass[label, default: []].append(i) }
        var isTest = [Bool](repeating: false, count: data.count)
        for label in byClass.keys.sorted() {
            var members = byClass[label]!
            rng.shuffle(&members)
            let take = min(members.count - 1, Int((Double(members.count) * fraction).rounded()))
            for i in members.prefix(max(0, take)) { isTest[i] = true }
        }
        let test = data.subset((0..<data.count).filter { isTest[$0] }),
            train = data.subset((0..<data.count).filter { !isTest[$0] })
        return DataSplits(train: train, test: test, skipped: skipped)
    }
}
