import ArgumentParser
import Foundation

/// A failure to report to the user in one line; the command exits non-zero.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Where training and evaluation data come from.
struct DataOptions: ParsableArguments {
    @Option(help: ArgumentHelp("`fashion-mnist` (Debian's dataset-fashion-mnist), or a folder laid out the same way (train-images-idx3-ubyte[.gz], train-labels-…, t10k-…).",
                               valueName: "name|dir"))
    var data = "fashion-mnist"
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
