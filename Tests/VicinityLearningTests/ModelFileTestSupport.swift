import Foundation
import VicinityTestSupport
import Testing
@testable import VicinityLearning

/// A fresh path in the temporary directory; the file is not created.
func temporaryModelPath(_ tag: String = "model") -> String {
    temporaryPath("vicinity-\(tag)") + ".safetensors"
}

/// Removes `path` when the test is done with it.
func removeFile(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

/// Assembles a safetensors container by hand: length field, header text
/// (space-padded to 8 bytes unless `pad` is false), then `payload`.
func rawContainer(header: String, payload: [UInt8] = [], pad: Bool = true) -> Data {
    var headerBytes = Array(header.utf8)
    if pad { headerBytes += Array(repeating: UInt8(ascii: " "), count: (8 - headerBytes.count % 8) % 8) }
    var out = Data()
    withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { out.append(contentsOf: $0) }
    out.append(contentsOf: headerBytes)
    out.append(contentsOf: payload)
    return out
}

/// Little-endian bytes of `values` as F32.
func f32Bytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
}

/// The `__metadata__` entry for a valid Vicinity header, with a trailing comma.
let vicinityMetadataEntry = #""__metadata__":{"format":"vicinity-model","format_version":"1"},"#

/// Writes `data` to a temporary file, reads it as a model and returns the error,
/// after checking that the error names the file.
func readError(_ data: Data, sourceLocation: SourceLocation = #_sourceLocation) throws -> ModelFileError {
    let path = temporaryModelPath("corrupt")
    defer { removeFile(path) }
    try data.write(to: URL(fileURLWithPath: path))
    do {
        let model = try ModelFile.read(from: path)
        Issue.record("expected reading to fail, got tensors \(model.tensorNames)", sourceLocation: sourceLocation)
        throw TestFailure(message: "see recorded issue")
    } catch let error as ModelFileError {
        #expect(error.path == path, sourceLocation: sourceLocation)
        #expect(
            error.description.contains(path), "message must name the file: \(error)", sourceLocation: sourceLocation)
        #expect(error.description.contains((path as NSString).lastPathComponent), sourceLocation: sourceLocation)
        return error
    }
}

/// Result of a child process.
struct ProcessOutput {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `python3 -c script args...` through `/usr/bin/env`.
func runPython(_ script: String, arguments: [String]) throws -> ProcessOutput {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    let stdoutPath = temporaryModelPath("stdout")
    let stderrPath = temporaryModelPath("stderr")
    defer { removeFile(stdoutPath); removeFile(stderrPath) }
    _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
    _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
    let err = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
    process.standardOutput = out
    process.standardError = err
    try process.run()
    process.waitUntilExit()
    try out.close()
    try err.close()
    let read = { (p: String) in (try? String(contentsOfFile: p, encoding: .utf8)) ?? "" }
    return ProcessOutput(status: process.terminationStatus, stdout: read(stdoutPath), stderr: read(stderrPath))
}

/// Exit status the Python scripts use when numpy cannot be imported.
let numpyMissingStatus: Int32 = 3

/// Fails the test with a clear message when the script could not import numpy.
func requireNumpy(_ output: ProcessOutput, sourceLocation: SourceLocation = #_sourceLocation) throws {
    if output.status == numpyMissingStatus {
        let reason = output.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        Issue.record(
            "python3 cannot import numpy (\(reason)); install it (pip install numpy, or run the project's setup script)",
            sourceLocation: sourceLocation)
        throw TestFailure(message: "see recorded issue")
    }
}

/// Thrown after recording an issue, to stop the test.
struct TestFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
