import Foundation
import Testing
import VicinityMath
@testable import VicinityLearning

/// What the Python scripts print: every tensor's shape and F32 bit patterns.
private struct PythonDump: Decodable {
    struct Entry: Decodable {
        var shape: [Int]
        var bits: [UInt32]
    }
    var header_length: Int
    var metadata: [String: String]
    var tensors: [String: Entry]
}

/// Parses a model file with the standard library and numpy only, checks the
/// layout independently, and prints a JSON dump of metadata and tensor bits.
private let pythonReader = #"""
    import sys, json, struct
    try:
        import numpy as np
    except Exception as e:
        sys.stderr.write("numpy import failed: %r\n" % (e,))
        sys.exit(3)
    blob = open(sys.argv[1], "rb").read()
    (n,) = struct.unpack("<Q", blob[:8])
    assert n % 8 == 0, "header length %d is not a multiple of 8" % n
    assert 8 + n <= len(blob), "header runs past the end"
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    data = blob[8 + n:]
    meta = header.pop("__metadata__", {})
    assert all(isinstance(v, str) for v in meta.values()), "metadata values must be strings"
    out = {"header_length": n, "metadata": meta, "tensors": {}}
    cursor = 0
    for name in sorted(header, key=lambda k: (header[k]["data_offsets"][0], header[k]["data_offsets"][1])):
        e = header[name]
        begin, end = e["data_offsets"]
        assert e["dtype"] == "F32", e["dtype"]
        assert begin == cursor, "tensor %s starts at %d, expected %d" % (name, begin, cursor)
        arr = np.frombuffer(data[begin:end], dtype="<f4").reshape(e["shape"])
        assert np.all(np.isfinite(arr))
        cursor = end
        out["tensors"][name] = {"shape": list(arr.shape), "bits": arr.reshape(-1).view("<u4").tolist()}
    assert cursor == len(data), "data section has %d bytes, tensors cover %d" % (len(data), cursor)
    print(json.dumps(out, sort_keys=True))
    """#

/// Writes a Vicinity model file with numpy (header deliberately unpadded, tensors
/// in reverse name order) and prints the same dump for the values it wrote.
private let pythonWriter = #"""
    import sys, json, struct
    try:
        import numpy as np
    except Exception as e:
        sys.stderr.write("numpy import failed: %r\n" % (e,))
        sys.exit(3)
    tensors = {
        "w": (np.arange(12, dtype="<f4").reshape(3, 4) / np.float32(7)).astype("<f4"),
        "b": np.array([0.1, -2.5, 1e-38], dtype="<f4"),
        "e": np.zeros((0, 5), dtype="<f4"),
    }
    meta = {"format": "vicinity-model", "format_version": "1", "architecture": json.dumps({"layers": [4, 3]})}
    header = {"__metadata__": meta}
    payload = b""
    for name in sorted(tensors, reverse=True):
        raw = tensors[name].tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape),
                        "data_offsets": [len(payload), len(payload) + len(raw)]}
        payload += raw
    text = json.dumps(header).encode("utf-8")
    with open(sys.argv[1], "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + payload)
    out = {"header_length": len(text), "metadata": meta,
           "tensors": {k: {"shape": list(v.shape), "bits": v.reshape(-1).view("<u4").tolist()} for k, v in tensors.items()}}
    print(json.dumps(out, sort_keys=True))
    """#

private func decodeDump(_ output: ProcessOutput) throws -> PythonDump {
    try requireNumpy(output)
    guard output.status == 0 else {
        Issue.record("python3 exited with status \(output.status): \(output.stderr)")
        throw TestFailure(message: "python3 failed")
    }
    return try JSONDecoder().decode(PythonDump.self, from: Data(output.stdout.utf8))
}

@Suite("Model file interoperability with Python")
struct ModelFilePythonTests {
    @Test func pythonReadsWhatSwiftWrites() throws {
        var model = ModelFile(metadata: ["note": "ünïcode \"quotes\" \\ and\nnewline"])
        model.setMatrix(
            Matrix(rows: 3, cols: 4, storage: (0..<12).map { Float($0) * 0.37 - 1.9 }), forName: "layer0.weight")
        model.setVector(
            [0.1, -0.2, Float.leastNonzeroMagnitude, Float.greatestFiniteMagnitude], forName: "layer0.bias")
        model.setMatrix(Matrix(rows: 0, cols: 5), forName: "empty")
        model.tensors["scalar"] = Tensor(shape: [], values: [-0.0])
        try model.setMetadata(["kind": "mlp", "activation": "relu"], forKey: "architecture")

        let path = temporaryModelPath("py-read")
        defer { removeFile(path) }
        try model.write(to: path)

        let dump = try decodeDump(try runPython(pythonReader, arguments: [path]))
        let headerLength = try Data(contentsOf: URL(fileURLWithPath: path)).prefix(8)
            .withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        #expect(dump.header_length == Int(headerLength))
        #expect(dump.metadata == model.metadata)
        #expect(Set(dump.tensors.keys) == Set(model.tensors.keys))
        for (name, tensor) in model.tensors {
            let entry = try #require(dump.tensors[name], "python did not see tensor \(name)")
            #expect(entry.shape == tensor.shape, "shape of \(name)")
            #expect(entry.bits == tensor.values.map(\.bitPattern), "values of \(name)")
        }
    }

    @Test func swiftReadsWhatPythonWrites() throws {
        let path = temporaryModelPath("py-write")
        defer { removeFile(path) }
        let dump = try decodeDump(try runPython(pythonWriter, arguments: [path]))

        let model = try ModelFile.read(from: path)
        #expect(model.metadata == dump.metadata)
        #expect(Set(model.tensors.keys) == Set(dump.tensors.keys))
        for (name, entry) in dump.tensors {
            let tensor = try model.tensor(name, shape: entry.shape)
            #expect(tensor.values.map(\.bitPattern) == entry.bits, "values of \(name)")
        }
        let w = try model.matrix("w", rows: 3, cols: 4)
        #expect(w[2, 3] == Float(11) / 7)
        #expect(try model.vector("b", count: 3)[1] == -2.5)
        struct Arch: Decodable, Equatable { var layers: [Int] }
        #expect(try model.requireMetadata(Arch.self, forKey: "architecture") == Arch(layers: [4, 3]))
    }
}
