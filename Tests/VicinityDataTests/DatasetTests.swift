import Foundation
import Testing
import VicinityMath
@testable import VicinityData

@Suite struct DatasetTests {
    /// An MNIST-layout directory with `n` train and `n / 2` test images of 2×3.
    func makeMNISTLayout(_ dir: TempDir, n: Int = 6, gz: Bool = true) throws -> String {
        let root = try dir.mkdir("mini")
        let ext = gz ? ".gz" : ""
        for (prefix, count) in [("train", n), ("t10k", n / 2)] {
            let pixels = (0..<count * 6).map { UInt8(($0 * 7) % 256) }
            try writeIDX(
                IDXArray(dims: [count, 2, 3], elements: .uint8(pixels)), to: "\(root)/\(prefix)-images-idx3-ubyte\(ext)"
            )
            try writeIDX(
                IDXArray(dims: [count], elements: .uint8((0..<count).map { UInt8($0 % 10) })),
                to: "\(root)/\(prefix)-labels-idx1-ubyte\(ext)")
        }
        return root
    }

    @Test(arguments: [true, false])
    func loadsDirectorySpec(gz: Bool) throws {
        let dir = try TempDir()
        let root = try makeMNISTLayout(dir, gz: gz)
        let train = try Dataset.load(root, split: .train)
        #expect(train.count == 6 && train.dims == 6 && train.imageRows == 2 && train.imageCols == 3)
        #expect(train.ids == (0..<6).map { "train-\($0)" })
        #expect(train.labels == [0, 1, 2, 3, 4, 5])
        #expect(train.name == "mini/train")
        #expect(train.features[1, 0] == Float(42) / 255)
        let test = try Dataset.load(root, split: .test)
        #expect(test.count == 3 && test.ids.last == "test-2" && test.name == "mini/test")
        // Environment override for the named spec.
        let named = try Dataset.load("fashion-mnist", split: .test, environment: ["VICINITY_FASHION_MNIST": root])
        #expect(named.name == "fashion-mnist/test" && named.fingerprint == test.fingerprint)
    }

    @Test func mismatchedLabelCount() throws {
        let dir = try TempDir()
        let root = try makeMNISTLayout(dir)
        try writeIDX(IDXArray(dims: [5], elements: .uint8([1, 2, 3, 4, 5])), to: root + "/train-labels-idx1-ubyte.gz")
        let e = expectDataError { _ = try Dataset.load(root, split: .train) }
        #expect(
            e
                == .labelCountMismatch(
                    images: root + "/train-images-idx3-ubyte.gz", imageCount: 6,
                    labels: root + "/train-labels-idx1-ubyte.gz", labelCount: 5))
        #expect(e?.description.contains("train-labels-idx1-ubyte.gz: has 5 labels") == true)
        // Same through load(images:labels:).
        let e2 = expectDataError {
            _ = try Dataset.load(
                images: root + "/train-images-idx3-ubyte.gz", labels: root + "/train-labels-idx1-ubyte.gz")
        }
        guard case .labelCountMismatch? = e2 else { Issue.record("got \(String(describing: e2))"); return }
    }

    @Test func missingDataSetMessages() throws {
        let dir = try TempDir()
        let nowhere = dir.path("fashion-mnist")
        let e = expectDataError {
            _ = try Dataset.load("fashion-mnist", split: .train, environment: [:], defaultDirectory: nowhere)
        }
        #expect(
            e?.description
                == "Fashion-MNIST not found at \(nowhere) (install Debian's dataset-fashion-mnist, run scripts/setup, or set VICINITY_FASHION_MNIST)"
        )
        if !isDirectory(Dataset.fashionMNISTDefaultDirectory) {
            let e0 = expectDataError { _ = try Dataset.load("fashion-mnist", split: .train) }
            #expect(e0?.description.hasPrefix("Fashion-MNIST not found at ") == true)
        }
        let missing = dir.path("nowhere")
        let e1 = expectDataError {
            _ = try Dataset.load("fashion-mnist", split: .train, environment: ["VICINITY_FASHION_MNIST": missing])
        }
        #expect(
            e1?.description.hasPrefix("Fashion-MNIST not found at \(missing) (VICINITY_FASHION_MNIST points here")
                == true)
        let e2 = expectDataError { _ = try Dataset.load(missing, split: .train) }
        #expect(e2?.description.hasPrefix("data set not found at \(missing)") == true)
        let empty = try dir.mkdir("empty")
        let e3 = expectDataError { _ = try Dataset.load(empty, split: .test) }
        #expect(e3?.description == "t10k-images-idx3-ubyte[.gz] not found at \(empty)")
    }

    @Test func singleIDXFiles() throws {
        let dir = try TempDir()
        try writeIDX(IDXArray(dims: [2, 4], elements: .uint8([0, 255, 51, 0, 1, 2, 3, 4])), to: dir.path("flat.idx"))
        let flat = try Dataset.load(images: dir.path("flat.idx"))
        #expect(
            flat.count == 2 && flat.dims == 4 && flat.imageRows == 2 && flat.labels == [-1, -1]
                && flat.ids == ["0", "1"])
        #expect(flat.features[0, 2] == 0.2)
        try writeIDX(IDXArray(dims: [1, 3], elements: .float32([0, 0.5, 1])), to: dir.path("f.idx"))
        let f = try Dataset.load(images: dir.path("f.idx"))
        #expect(f.features.storage == [0, 0.5, 1] && f.imageRows == 1 && f.imageCols == 3)
        try writeIDX(IDXArray(dims: [1, 2], elements: .float32([0, 2])), to: dir.path("big.idx"))
        #expect(
            expectDataError { _ = try Dataset.load(images: dir.path("big.idx")) }?.description.contains(
                "outside [0, 1]") == true)
        try writeIDX(IDXArray(dims: [2], elements: .uint8([1, 2])), to: dir.path("lab.idx"))
        let labelled = try Dataset.load(images: dir.path("flat.idx"), labels: dir.path("lab.idx"))
        #expect(labelled.labels == [1, 2])
    }

    @Test func fingerprintTracksContent() {
        let m = Matrix(rows: 2, cols: 3, storage: [0, 0.1, 0.2, 0.3, 0.4, 0.5])
        let a = Dataset(name: "a", features: m, labels: [1, 2], ids: ["x", "y"], imageRows: 1, imageCols: 3)
        let b = Dataset(name: "b", features: m, labels: [1, 2], ids: ["p", "q"], imageRows: 3, imageCols: 1)
        let c = Dataset(name: "a", features: m, labels: [2, 1], ids: ["x", "y"], imageRows: 1, imageCols: 3)
        var m2 = m
        m2[1, 2] = 0.50001
        let d = Dataset(name: "a", features: m2, labels: [1, 2], ids: ["x", "y"], imageRows: 1, imageCols: 3)
        #expect(a.fingerprint.count == 16 && a.fingerprint.allSatisfy(\.isHexDigit))
        #expect(a.fingerprint == b.fingerprint)
        #expect(a.fingerprint != c.fingerprint && a.fingerprint != d.fingerprint)
        // Pinned so accidental changes to the hash show up.
        var h = FNV1a64()
        h.combine(words: UnsafeRawBufferPointer(start: nil, count: 0))
        #expect(h.value == 0xcbf2_9ce4_8422_2325)
        let sub = a.subset([1])
        #expect(sub.count == 1 && sub.labels == [2] && sub.ids == ["y"] && sub.features.storage == [0.3, 0.4, 0.5])
        #expect(a.prefix(10).count == 2)
    }

    static let fashionDir = Dataset.fashionMNISTDefaultDirectory
    @Test(
        .enabled(
            if: FileManager.default.fileExists(atPath: fashionDir + "/train-images-idx3-ubyte.gz")
                || FileManager.default.fileExists(atPath: fashionDir + "/train-images-idx3-ubyte")))
    func realFashionMNIST() throws {
        let start = Date()
        let train = try Dataset.load("fashion-mnist", split: .train, environment: [:])
        let elapsed = Date().timeIntervalSince(start)
        print(
            "Fashion-MNIST train: \(train.count)×\(train.dims) loaded in \(String(format: "%.3f", elapsed)) s, fingerprint \(train.fingerprint)"
        )
        #expect(train.count == 60000 && train.dims == 784 && train.imageRows == 28 && train.imageCols == 28)
        var counts = [Int](repeating: 0, count: 10)
        for l in train.labels { counts[l] += 1 }
        #expect(counts == [Int](repeating: 6000, count: 10))
        let (lo, hi) = train.features.storage.reduce((Float.infinity, -Float.infinity)) {
            (min($0.0, $1), max($0.1, $1))
        }
        #expect(lo == 0 && hi == 1)
        let test = try Dataset.load("fashion-mnist", split: .test, environment: [:])
        #expect(test.count == 10000 && test.dims == 784 && test.ids[9999] == "test-9999")
    }
}
