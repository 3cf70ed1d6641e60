import ArgumentParser
import Foundation
import VicinityData
import VicinityLearning

/// A failure to report to the user in one line; the command exits non-zero.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Where training and evaluation data come from.
struct DataOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "`fashion-mnist` (Debian's dataset-fashion-mnist), a folder laid out the same way (train-images-idx3-ubyte[.gz], train-labels-…, t10k-…), a folder of class folders of images (JPEG, PNG, PGM, PPM; any names), or a CSV, .npy (uint8 images or float rows) or IDX file.",
            valueName: "name|dir|file"))
    var data = "fashion-mnist"
    @Option(
        help: ArgumentHelp(
            "Labels for a --data file without its own (.npy, IDX images): 1-D integer .npy, IDX labels or one integer per line.",
            valueName: "file"))
    var labels: String?
    @Option(help: ArgumentHelp("Labels for a --test file, as --labels.", valueName: "file"))
    var testLabels: String?
    @Option(
        help: ArgumentHelp(
            "The test set: a folder of class folders (matched to --data's classes by name), CSV or IDX file.",
            valueName: "dir|file"))
    var test: String?
    @Option(help: "Hold out this fraction of every class of --data as the test set (seeded by --split-seed).")
    var testFraction: Double?
    @Option(help: "Seed of the --test-fraction draw.") var splitSeed: UInt64 = 1
    @Option(
        help: ArgumentHelp(
            "Image folders: the size images are brought to, HEIGHTxWIDTH (default: the model's, else the most common).",
            valueName: "HxW"))
    var size: String?
    @Option(help: "Image folders: 1 (grey) or 3 (RGB) channels (default: the model's, else the most common).")
    var channels: Int?
    @Option(help: "Image folders: how images of another aspect reach the size: crop, pad, stretch.") var fit: ImageFit =
        .crop

    func validate() throws {
        if test != nil && testFraction != nil { throw ValidationError("give --test or --test-fraction, not both") }
        if let testFraction, !(testFraction > 0 && testFraction < 1) {
            throw ValidationError("--test-fraction must be between 0 and 1")
        }
        if let size, ImageGeometry.parseSize(size) == nil {
            throw ValidationError("--size must be HEIGHTxWIDTH, e.g. 32x32, got '\(size)'")
        }
        if let channels, channels != 1 && channels != 3 { throw ValidationError("--channels must be 1 or 3") }
    }

    /// The training and test sets, images brought to `model` (a model file's geometry) unless
    /// --size/--channels say otherwise; skipped files are reported on standard error.
    func splits(model: ImageGeometry? = nil, requireTest: Bool = true) throws -> DataSplits {
        var request = DataRequest(data: data, test: test, testFraction: testFraction)
        request.size = size.flatMap(ImageGeometry.parseSize)
        request.channels = channels
        request.fit = fit
        request.seed = splitSeed
        request.labels = labels
        request.testLabels = testLabels
        let splits = try Dataset.loadSplits(request, model: model)
        if !splits.skipped.isEmpty {
            let shown = splits.skipped.prefix(5).map(\.description).joined(separator: "\n  ")
            let more = splits.skipped.count > 5 ? "\n  … and \(splits.skipped.count - 5) more" : ""
            note(
                "skipping \(splits.skipped.count) image\(splits.skipped.count == 1 ? "" : "s") that could not be used:\n  \(shown)\(more)"
            )
        }
        if requireTest && splits.test == nil {
            throw CLIError(
                "\(data) has no test split of its own: give --test DIR (or FILE) or --test-fraction F (e.g. 0.1)")
        }
        if let test = splits.test, test.dims != splits.train.dims {
            throw CLIError("train and test images differ in size: \(splits.train.dims) vs \(test.dims) values")
        }
        return splits
    }

    /// The class names to show: the data's own, else the model's, else Fashion-MNIST's for it.
    func classNames(_ data: Dataset, model: EmbeddingModel? = nil) -> [String] {
        if !data.classNames.isEmpty { return data.classNames }
        if let names = model?.architecture.classNames, !names.isEmpty { return names }
        return self.data.lowercased() == "fashion-mnist" ? Dataset.fashionMNISTClassNames : []
    }
}

/// The input geometry recorded in a model file, when `path` is one (nil for `pixels`, `pca:N`, …).
func modelGeometry(_ path: String) -> ImageGeometry? {
    guard path.hasSuffix(".safetensors"), let model = try? EmbeddingModel.load(from: path) else { return nil }
    return model.architecture.inputGeometry
}

/// Writes a JSON object to standard output with sorted keys, one line.
func printJSON(_ object: [String: Any]) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    FileHandle.standardOutput.write(data + Data("\n".utf8))
}

/// Progress and notes go to standard error so standard output stays machine-readable.
func note(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
