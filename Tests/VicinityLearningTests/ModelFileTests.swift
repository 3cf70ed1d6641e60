import Foundation
import Testing
import VicinityMath
@testable import VicinityLearning

private struct Architecture: Codable, Equatable {
    var kind: String
    var layers: [Int]
    var activation: String
}

private func sampleModel() throws -> ModelFile {
    var model = ModelFile(metadata: ["note": "line\none \"quoted\" \\ / ünïcode"])
    model.setMatrix(Matrix([[1, -2.5, 3], [0.125, 1e-30, -0.0]]), forName: "layer0.weight")
    model.setVector([0.5, -1.5, 3e20], forName: "layer0.bias")
    model.setMatrix(Matrix(rows: 0, cols: 5), forName: "empty")
    model.tensors["scalar"] = Tensor(shape: [], values: [42])
    model.tensors["cube"] = Tensor(shape: [2, 2, 2], values: (0..<8).map { Float($0) / 3 })
    try model.setMetadata(Architecture(kind: "mlp", layers: [3, 2], activation: "relu"), forKey: "architecture")
    return model
}

@Suite("Model file round trip")
struct ModelFileRoundTripTests {
    @Test func roundTripsTensorsAndMetadata() throws {
        var model = try sampleModel()
        let path = temporaryModelPath()
        defer { removeFile(path) }
        try model.write(to: path)
        #expect(model.source == path)

        let read = try ModelFile.read(from: path)
        #expect(read.source == path)
        #expect(read.metadata == model.metadata)
        #expect(read.metadata["format"] == "vicinity-model")
        #expect(read.metadata["format_version"] == "1")
        #expect(read.tensors == model.tensors)
        #expect(read.tensorNames == ["cube", "empty", "layer0.bias", "layer0.weight", "scalar"])

        let weight = try read.matrix("layer0.weight", rows: 2, cols: 3)
        #expect(weight == Matrix([[1, -2.5, 3], [0.125, 1e-30, -0.0]]))
        #expect(weight.storage[5].sign == .minus)
        #expect(try read.vector("layer0.bias", count: 3) == [0.5, -1.5, 3e20])
        let empty = try read.matrix("empty", rows: 0, cols: 5)
        #expect(empty.rows == 0 && empty.cols == 5)
        #expect(try read.tensor("scalar", shape: []).values == [42])
        #expect(read.tensors["cube"]?.matrix == nil)
        #expect(read.tensors["layer0.bias"]?.vector == [0.5, -1.5, 3e20])

        let arch = try read.requireMetadata(Architecture.self, forKey: "architecture")
        #expect(arch == Architecture(kind: "mlp", layers: [3, 2], activation: "relu"))
        #expect(try read.metadata(Architecture.self, forKey: "absent") == nil)
        let json = try #require(try read.metadataJSON("architecture") as? [String: Any])
        #expect(json["kind"] as? String == "mlp")
    }

    @Test func writingIsDeterministicAndOverwritesAtomically() throws {
        var model = try sampleModel()
        let path = temporaryModelPath()
        defer { removeFile(path) }
        try "old contents".write(toFile: path, atomically: false, encoding: .utf8)
        try model.write(to: path)
        let first = try Data(contentsOf: URL(fileURLWithPath: path))
        try model.write(to: path)
        let second = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(first == second)
        #expect(first == (try model.encoded()))
        // No temporary files left behind.
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory).filter {
            $0.contains(name + ".tmp-")
        }
        #expect(leftovers.isEmpty)
    }

    @Test func headerLengthFieldAndAlignment() throws {
        var model = try sampleModel()
        let path = temporaryModelPath()
        defer { removeFile(path) }
        try model.write(to: path)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let length = bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        #expect(length % 8 == 0)
        #expect(length > 0)
        let headerEnd = 8 + Int(length)
        // Data section: 6 + 3 + 0 + 1 + 8 floats.
        #expect(bytes.count - headerEnd == 18 * 4)
        let header = try #require(String(bytes: bytes[8..<headerEnd], encoding: .utf8))
        #expect(header.hasPrefix("{\"__metadata__\":{"))
        // Padding is spaces after the closing brace.
        let trimmed = header.replacingOccurrences(of: " +$", with: "", options: .regularExpression)
        #expect(trimmed.hasSuffix("}"))
        #expect(header.count - trimmed.count < 8)
        // Tensors are contiguous in sorted name order.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(header.utf8)) as? [String: Any])
        var cursor = 0
        for name in ["cube", "empty", "layer0.bias", "layer0.weight", "scalar"] {
            let entry = try #require(object[name] as? [String: Any])
            #expect(entry["dtype"] as? String == "F32")
            let offsets = try #require(entry["data_offsets"] as? [Int])
            #expect(offsets[0] == cursor)
            cursor = offsets[1]
        }
        #expect(cursor == bytes.count - headerEnd)
        // The first tensor's first value sits right after the header.
        let cube = Float(
            bitPattern: bytes[headerEnd..<headerEnd + 4].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        #expect(cube == 0)
        let second = Float(
            bitPattern: bytes[headerEnd + 4..<headerEnd + 8].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        #expect(second == Float(1) / 3)
    }

    @Test func headerPaddingForEveryResidue() throws {
        // Names of growing length hit every header length mod 8.
        for n in 1...8 {
            var model = ModelFile()
            model.setVector([1], forName: String(repeating: "w", count: n))
            let data = try model.encoded()
            let length = data.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
            #expect(length % 8 == 0)
            #expect(try ModelFile.decode(data).tensors == model.tensors)
        }
    }

    @Test func readsOtherDTypes() throws {
        func le<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
            values.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        }
        let f64 = le([(1.5 as Double).bitPattern, (-2.25 as Double).bitPattern])
        let i32 = le([Int32(-7), 1 << 20])
        let u8: [UInt8] = [0, 255, 3]
        let bf16 = le([UInt16(0x3FC0), 0xC000])  // 1.5, -2
        let f16 = le([UInt16(0x3C00), 0xC100, 0x0001, 0x7BFF])  // 1, -2.5, 2^-24, 65504
        let i64 = le([Int64(-3), 1 << 40])
        let i8 = le([Int8(-128), 127])
        var payload: [UInt8] = []
        var entries: [String] = []
        for (name, dtype, shape, bytes) in [
            ("a", "F64", "[2]", f64), ("b", "I32", "[2]", i32), ("c", "U8", "[3]", u8),
            ("d", "BF16", "[2]", bf16), ("e", "F16", "[2,2]", f16),
            ("f", "I64", "[2]", i64), ("g", "I8", "[2,1]", i8),
        ] {
            entries.append(
                "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[\(payload.count),\(payload.count + bytes.count)]}"
            )
            payload += bytes
        }
        let data = rawContainer(
            header: "{" + vicinityMetadataEntry + entries.joined(separator: ",") + "}", payload: payload)
        let model = try ModelFile.decode(data, source: "dtypes.safetensors")
        #expect(model.tensors["a"]?.values == [1.5, -2.25])
        #expect(model.tensors["b"]?.values == [-7, 1_048_576])
        #expect(model.tensors["c"]?.values == [0, 255, 3])
        #expect(model.tensors["d"]?.values == [1.5, -2])
        #expect(model.tensors["e"]?.values == [1, -2.5, 0x1p-24, 65504])
        #expect(model.tensors["e"]?.shape == [2, 2])
        #expect(model.tensors["f"]?.values == [-3, 0x1p40])
        #expect(model.tensors["g"]?.values == [-128, 127])
        let contents = try SafeTensors.decode(data, source: "dtypes.safetensors")
        #expect(contents.dtypes["d"] == .bf16)
    }

    @Test func halfPrecisionConversionMatchesFloat16Semantics() {
        #expect(SafeTensors.halfToFloat(0x0000) == 0)
        #expect(SafeTensors.halfToFloat(0x8000).sign == .minus)
        #expect(SafeTensors.halfToFloat(0x3555) == 0.333251953125)
        #expect(SafeTensors.halfToFloat(0x03FF) == Float(0x3FF) * 0x1p-24)
        #expect(SafeTensors.halfToFloat(0x7C00) == .infinity)
        #expect(SafeTensors.halfToFloat(0xFC00) == -.infinity)
        #expect(SafeTensors.halfToFloat(0x7E00).isNaN)
    }

    @Test func plainSafetensorsWithoutMetadataDecodes() throws {
        let data = rawContainer(
            header: #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
            payload: f32Bytes([1, 2]), pad: false)
        let contents = try SafeTensors.decode(data, source: "plain.safetensors")
        #expect(contents.metadata.isEmpty)
        #expect(contents.tensors["x"] == Tensor(vector: [1, 2]))
    }

    @Test func tensorConversions() {
        let m = Matrix([[1, 2], [3, 4], [5, 6]])
        let t = Tensor(m)
        #expect(t.shape == [3, 2])
        #expect(t.rank == 2 && t.elementCount == 6)
        #expect(t.matrix == m)
        #expect(t.vector == nil)
        let v = Tensor(vector: [1, 2, 3])
        #expect(v.shape == [3])
        #expect(v.matrix == nil)
        #expect(Tensor(shape: [], values: [7]).elementCount == 1)
    }
}

@Suite("Model file errors")
struct ModelFileErrorTests {
    /// A valid two-tensor file: "a" is [2] F32 at 0..<8, "b" is [1] F32 at 8..<12.
    private func valid(
        a: String = #"{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#,
        b: String = #"{"dtype":"F32","shape":[1],"data_offsets":[8,12]}"#,
        payload: [UInt8] = f32Bytes([1, 2, 3])
    ) -> Data {
        rawContainer(header: "{" + vicinityMetadataEntry + "\"a\":\(a),\"b\":\(b)}", payload: payload)
    }

    @Test func validBaselineReads() throws {
        let model = try ModelFile.decode(valid())
        #expect(model.tensors["a"]?.values == [1, 2])
        #expect(model.tensors["b"]?.values == [3])
    }

    @Test func shorterThanEightBytes() throws {
        for size in [0, 1, 7] {
            let error = try readError(Data(repeating: 0, count: size))
            #expect(error.kind == .truncated(byteCount: size))
            #expect(error.description.contains("shorter than the 8-byte"))
        }
    }

    @Test func headerLengthLargerThanFile() throws {
        var data = valid()
        data.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(1_000_000).littleEndian) { Data($0) })
        let error = try readError(data)
        #expect(error.kind == .headerLengthExceedsFile(headerLength: 1_000_000, fileSize: data.count))
        // Huge values must not overflow.
        data.replaceSubrange(0..<8, with: Data(repeating: 0xFF, count: 8))
        #expect(try readError(data).kind == .headerLengthExceedsFile(headerLength: .max, fileSize: data.count))
    }

    @Test func truncatedFiles() throws {
        var model = try sampleModel()
        let path = temporaryModelPath()
        defer { removeFile(path) }
        try model.write(to: path)
        let full = try Data(contentsOf: URL(fileURLWithPath: path))
        // Cut inside the header.
        let error = try readError(full.prefix(20))
        guard case .headerLengthExceedsFile = error.kind else { Issue.record("got \(error)"); return }
        // Cut inside the data section: the last tensor runs past the end.
        let cut = try readError(full.prefix(full.count - 4))
        guard case .offsetsOutOfRange(let tensor, _, _, _) = cut.kind else { Issue.record("got \(cut)"); return }
        #expect(tensor == "scalar")
        #expect(cut.description.contains("\"scalar\""))
    }

    @Test func headerNotUTF8() throws {
        var data = valid()
        data[8 + 3] = 0xFF
        #expect(try readError(data).kind == .headerNotUTF8)
    }

    @Test func headerNotJSON() throws {
        var data = valid()
        data[8] = UInt8(ascii: "x")  // flip the opening brace
        guard case .headerNotJSON = try readError(data).kind else { Issue.record("expected headerNotJSON"); return }
        let truncatedJSON = rawContainer(header: #"{"a":{"dtype":"F32""#)
        let error = try readError(truncatedJSON)
        guard case .headerNotJSON = error.kind else { Issue.record("got \(error)"); return }
        #expect(error.description.contains("not valid JSON"))
        guard case .headerNotJSON = try readError(rawContainer(header: "")).kind else {
            Issue.record("expected headerNotJSON for empty header"); return
        }
    }

    @Test func headerNotObject() throws {
        #expect(try readError(rawContainer(header: "[1, 2, 3]")).kind == .headerNotObject)
        #expect(try readError(rawContainer(header: "\"text\"")).kind == .headerNotObject)
    }

    @Test func missingFields() throws {
        for field in ["dtype", "shape", "data_offsets"] {
            var entry: [String: String] = ["dtype": "\"F32\"", "shape": "[2]", "data_offsets": "[0,8]"]
            entry[field] = nil
            let text = "{" + entry.keys.sorted().map { "\"\($0)\":\(entry[$0]!)" }.joined(separator: ",") + "}"
            let error = try readError(valid(a: text))
            #expect(error.kind == .missingField(tensor: "a", field: field))
            #expect(error.description.contains("\"a\"") && error.description.contains(field))
        }
        #expect(try readError(valid(a: "[0, 8]")).kind == .tensorEntryNotObject(tensor: "a"))
    }

    @Test func invalidFields() throws {
        let cases: [(String, String)] = [
            (#"{"dtype":7,"shape":[2],"data_offsets":[0,8]}"#, "dtype"),
            (#"{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}"#, "shape"),
            (#"{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}"#, "shape"),
            (#"{"dtype":"F32","shape":"2","data_offsets":[0,8]}"#, "shape"),
            (#"{"dtype":"F32","shape":[2],"data_offsets":[0]}"#, "data_offsets"),
            (#"{"dtype":"F32","shape":[2],"data_offsets":[8,0]}"#, "data_offsets"),
            (#"{"dtype":"F32","shape":[2],"data_offsets":[0,true]}"#, "data_offsets"),
        ]
        for (entry, field) in cases {
            let error = try readError(valid(a: entry))
            guard case .invalidField(let tensor, let f, _) = error.kind else {
                Issue.record("\(entry): got \(error)"); continue
            }
            #expect(tensor == "a" && f == field, "\(entry)")
        }
    }

    @Test func unsupportedDType() throws {
        let error = try readError(valid(a: #"{"dtype":"C64","shape":[1],"data_offsets":[0,8]}"#))
        #expect(error.kind == .unsupportedDType(tensor: "a", dtype: "C64"))
        #expect(error.description.contains("C64") && error.description.contains("F32"))
    }

    @Test func offsetsOutOfRange() throws {
        let error = try readError(valid(b: #"{"dtype":"F32","shape":[100],"data_offsets":[8,408]}"#))
        #expect(error.kind == .offsetsOutOfRange(tensor: "b", begin: 8, end: 408, dataLength: 12))
    }

    @Test func sizeNotMatchingShape() throws {
        let error = try readError(valid(a: #"{"dtype":"F32","shape":[3],"data_offsets":[0,8]}"#))
        #expect(error.kind == .sizeMismatch(tensor: "a", shape: [3], dtype: "F32", expectedBytes: 12, actualBytes: 8))
        // Same byte count, wrong dtype size: [2] F64 needs 16 bytes.
        let f64 = try readError(valid(a: #"{"dtype":"F64","shape":[2],"data_offsets":[0,8]}"#))
        #expect(f64.kind == .sizeMismatch(tensor: "a", shape: [2], dtype: "F64", expectedBytes: 16, actualBytes: 8))
    }

    @Test func overlappingTensors() throws {
        let error = try readError(
            valid(b: #"{"dtype":"F32","shape":[1],"data_offsets":[4,8]}"#, payload: f32Bytes([1, 2])))
        #expect(error.kind == .overlappingTensors(first: "a", second: "b"))
        #expect(error.description.contains("overlap"))
    }

    @Test func dataNotCoveredExactly() throws {
        // Gap between tensors.
        let gap = try readError(
            valid(b: #"{"dtype":"F32","shape":[1],"data_offsets":[12,16]}"#, payload: f32Bytes([1, 2, 0, 3])))
        #expect(gap.kind == .uncoveredData(begin: 8, end: 12, dataLength: 16))
        // Trailing bytes after the last tensor.
        let tail = try readError(valid(payload: f32Bytes([1, 2, 3, 4])))
        #expect(tail.kind == .uncoveredData(begin: 12, end: 16, dataLength: 16))
        // Leading bytes before the first tensor.
        let lead = try readError(
            valid(
                a: #"{"dtype":"F32","shape":[2],"data_offsets":[4,12]}"#,
                b: #"{"dtype":"F32","shape":[1],"data_offsets":[12,16]}"#,
                payload: f32Bytes([0, 1, 2, 3])))
        #expect(lead.kind == .uncoveredData(begin: 0, end: 4, dataLength: 16))
    }

    @Test func nonFiniteValuesAreRefused() throws {
        for (bad, index) in [(Float.nan, 1), (.infinity, 0), (-.infinity, 1)] {
            let values: [Float] = index == 0 ? [bad, 2, 3] : [1, bad, 3]
            let error = try readError(valid(payload: f32Bytes(values)))
            guard case .nonFiniteValue(let tensor, let i, _) = error.kind else {
                Issue.record("got \(error)"); continue
            }
            #expect(tensor == "a" && i == index)
            #expect(error.description.contains("\"a\""))
        }
        // F64 values too large for Float become infinite and are refused as well.
        let big = withUnsafeBytes(of: (1e300 as Double).bitPattern.littleEndian) { Array($0) }
        let data = rawContainer(
            header: "{" + vicinityMetadataEntry + #""w":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}"#,
            payload: big)
        guard case .nonFiniteValue(let tensor, _, _) = try readError(data).kind else {
            Issue.record("expected nonFinite"); return
        }
        #expect(tensor == "w")
    }

    @Test func writingNonFiniteValuesIsRefused() throws {
        var model = ModelFile()
        model.setVector([1, .nan], forName: "bias")
        let path = temporaryModelPath()
        defer { removeFile(path) }
        #expect(throws: ModelFileError.self) { try model.write(to: path) }
        #expect(!FileManager.default.fileExists(atPath: path))
        do {
            try model.write(to: path)
        } catch let error as ModelFileError {
            guard case .nonFiniteValue(let tensor, 1, _) = error.kind else { Issue.record("got \(error)"); return }
            #expect(tensor == "bias")
            #expect(error.description.contains(path))
        }
    }

    @Test func writingInvalidTensorsIsRefused() throws {
        var model = ModelFile()
        model.tensors["bad"] = Tensor(vector: [1, 2, 3])
        model.tensors["bad"]!.shape = [2]
        #expect(
            throws: ModelFileError(
                path: ModelFile.inMemorySource,
                kind: .valueCountMismatch(tensor: "bad", shape: [2], valueCount: 3))
        ) {
            try model.encoded()
        }
        var reserved = ModelFile()
        reserved.setVector([1], forName: "__metadata__")
        #expect(throws: ModelFileError(path: ModelFile.inMemorySource, kind: .invalidTensorName(name: "__metadata__")))
        {
            try reserved.encoded()
        }
        #expect(throws: ModelFileError.self) { try reserved.setMetadata("x", forKey: "format") }
    }

    @Test func writingIntoMissingDirectoryFails() throws {
        var model = ModelFile()
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("no-such-dir-\(UUID().uuidString)/model.safetensors").path
        do {
            try model.write(to: path)
            Issue.record("expected failure")
        } catch let error as ModelFileError {
            guard case .unwritable = error.kind else { Issue.record("got \(error)"); return }
            #expect(error.description.contains(path))
        }
    }

    @Test func missingFileIsUnreadable() throws {
        let path = temporaryModelPath("absent")
        do {
            _ = try ModelFile.read(from: path)
            Issue.record("expected failure")
        } catch let error as ModelFileError {
            #expect(error.kind == .unreadable(reason: "no such file"))
            #expect(error.description.contains(path))
        }
    }

    @Test func metadataProblems() throws {
        let tensor = #""a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#
        func file(_ metadata: String) -> Data {
            rawContainer(header: "{\(metadata)\(tensor)}", payload: f32Bytes([1]))
        }
        let notString = try readError(file(#""__metadata__":{"format":"vicinity-model","format_version":1},"#))
        #expect(notString.kind == .metadataValueNotString(key: "format_version"))
        #expect(try readError(file(#""__metadata__":["x"],"#)).kind == .metadataNotObject)
        #expect(try readError(file("")).kind == .missingFormat)
        let missing = try readError(file(#""__metadata__":{"format_version":"1"},"#))
        #expect(missing.kind == .missingFormat)
        #expect(missing.description.contains("hint"))
        #expect(
            try readError(file(#""__metadata__":{"format":"pytorch","format_version":"1"},"#)).kind
                == .unsupportedFormat(found: "pytorch"))
        #expect(try readError(file(#""__metadata__":{"format":"vicinity-model"},"#)).kind == .missingFormatVersion)
        let version = try readError(file(#""__metadata__":{"format":"vicinity-model","format_version":"2"},"#))
        #expect(version.kind == .unsupportedFormatVersion(found: "2"))
        #expect(version.description.contains("\"2\"") && version.description.contains("hint"))
    }

    @Test func requiringTensorsByShape() throws {
        var model = try sampleModel()
        let path = temporaryModelPath()
        defer { removeFile(path) }
        try model.write(to: path)
        let read = try ModelFile.read(from: path)
        do {
            _ = try read.matrix("layer0.weight", rows: 3, cols: 2)
            Issue.record("expected shape mismatch")
        } catch let error as ModelFileError {
            #expect(error.kind == .shapeMismatch(tensor: "layer0.weight", expected: [3, 2], actual: [2, 3]))
            #expect(error.description.contains(path))
            #expect(error.description.contains("\"layer0.weight\""))
            #expect(error.description.contains("[2, 3]") && error.description.contains("[3, 2]"))
        }
        do {
            _ = try read.vector("layer1.bias", count: 2)
            Issue.record("expected missing tensor")
        } catch let error as ModelFileError {
            guard case .missingTensor(let name, let available) = error.kind else {
                Issue.record("got \(error)"); return
            }
            #expect(name == "layer1.bias")
            #expect(available.contains("layer0.bias"))
            #expect(error.description.contains(path))
        }
    }

    @Test func invalidStructuredMetadata() throws {
        var model = ModelFile(metadata: ["architecture": "{not json"])
        #expect(throws: ModelFileError.self) { try model.metadataJSON("architecture") }
        #expect(throws: ModelFileError.self) { try model.metadata(Architecture.self, forKey: "architecture") }
        #expect(throws: ModelFileError(path: ModelFile.inMemorySource, kind: .missingMetadata(key: "labels"))) {
            try model.requireMetadata([String].self, forKey: "labels")
        }
        try model.setMetadata(["a/b", "c"], forKey: "labels")
        #expect(model.metadata["labels"] == #"["a/b","c"]"#)
        #expect(try model.requireMetadata([String].self, forKey: "labels") == ["a/b", "c"])
        try model.setMetadata(3, forKey: "epochs")
        #expect(try model.metadataJSON("epochs") as? Int == 3)
    }
}
