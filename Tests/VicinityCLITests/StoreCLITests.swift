import Foundation
import Testing
import VicinityData
import VicinityLearning
import VicinityMath
import VicinityStore

func parseJSON(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

/// Snapshots of two stores hold the same items in the same rows.
func expectSameStore(_ a: StoreSnapshot, _ b: StoreSnapshot, tolerance: Float = 0) {
    #expect(a.count == b.count)
    #expect(a.ids == b.ids)
    #expect(Set(a.ids).count == a.ids.count)
    #expect(a.labels == b.labels)
    #expect(a.bits == b.bits)
    #expect(a.meta.modelFingerprint == b.meta.modelFingerprint && a.meta.count == b.meta.count)
    guard a.codes.count == b.codes.count else { Issue.record("codes differ in size"); return }
    let worst = zip(a.codes.storage, b.codes.storage).map { abs($0 - $1) }.max() ?? 0
    #expect(worst <= tolerance, "codes differ by up to \(worst)")
}

@Suite struct StoreCLITests {
    // Long: one scenario whose steps build on each other against one server or store.
    @Test func embedsResumesAndRefusesAnotherModel() throws {
        let dir = try temporaryFolder()
        let data = try writeIDXDataset(in: dir, train: 300, test: 100, side: 4)
        let model = dir.appendingPathComponent("m.safetensors").path
        try writeStoreTestModel(model, sizes: [16, 8, 6])
        let store = dir.appendingPathComponent("stores/s").path

        let first = try runVicinity([
            "embed", "--model", model, "--data", dir.path, "--split", "test", "--store", store, "--json", "--batch",
            "64",
        ])
        #expect(first.status == 0, "\(first.stderr)")
        let j1 = try parseJSON(first.stdout)
        #expect(j1["embedded"] as? Int == 100 && j1["count"] as? Int == 100 && j1["bits"] as? Int == 6)
        // All = train then test: the test half is already there.
        let second = try runVicinity([
            "embed", "--model", model, "--data", dir.path, "--split", "all", "--store", store, "--json",
        ])
        #expect(second.status == 0, "\(second.stderr)")
        let j2 = try parseJSON(second.stdout)
        #expect(j2["embedded"] as? Int == 300 && j2["already_stored"] as? Int == 100 && j2["count"] as? Int == 400)
        #expect(second.stderr.contains("resuming"))
        let again = try runVicinity([
            "embed", "--model", model, "--data", dir.path, "--split", "all", "--store", store, "--json",
        ])
        #expect(try parseJSON(again.stdout)["embedded"] as? Int == 0)

        do {
            let s = try CodeStore(path: store, access: .readOnly)
            #expect(try s.checkConsistency() == [])
            let item = try #require(try s.get("train-7"))
            #expect(item.label == data.trainLabels[7])
            #expect(item.code.count == 6 && item.bits.count == 1)
            let expectedBits = item.code.enumerated().reduce(UInt64(0)) {
                $1.element > 0.5 ? $0 | 1 << UInt64($1.offset) : $0
            }
            #expect(item.bits[0] == expectedBits)
            #expect(try s.ids(atAddress: UInt32(expectedBits)).contains("train-7"))
            #expect(item.source.hasSuffix("/train#7"))
            // The code is the model's embedding of the image.
            let net = try EmbeddingModel.load(from: model)
            let x = Matrix(rows: 1, cols: 16, storage: data.train[7].map { Float($0) / 255 })
            let want = net.embed(x).storage
            #expect(zip(want, item.code).allSatisfy { abs($0 - $1) < 1e-5 })
        }

        // Another model is refused, and the store is untouched; --rebuild starts over.
        let other = dir.appendingPathComponent("other.safetensors").path
        try writeStoreTestModel(other, sizes: [16, 8, 6], seed: 9)
        let refused = try runVicinity(["embed", "--model", other, "--data", dir.path, "--store", store])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("--rebuild"))
        #expect(try CodeStore(path: store, access: .readOnly).count() == 400)
        let rebuilt = try runVicinity([
            "embed", "--model", other, "--data", dir.path, "--store", store, "--rebuild", "--json",
        ])
        #expect(rebuilt.status == 0, "\(rebuilt.stderr)")
        #expect(try parseJSON(rebuilt.stdout)["count"] as? Int == 300)
        let meta = try #require(try CodeStore(path: store, access: .readOnly).meta())
        #expect(meta.modelFingerprint == (try CodeStore.fingerprint(ofFile: other)))
    }

    @Test func badImagesAreSkippedOrFailWithStrict() throws {
        let dir = try temporaryFolder()
        let images = dir.appendingPathComponent("imgs")
        for label in 0..<2 {
            let sub = images.appendingPathComponent("\(label)")
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            for i in 0..<5 {
                try writePNG(
                    path: sub.appendingPathComponent("img\(i).png").path, width: 4, height: 4,
                    pixels: (0..<16).map { UInt8(($0 * 13 + i * 7 + label * 50) % 256) }, channels: 1)
            }
        }
        try Data("not a png".utf8).write(to: images.appendingPathComponent("1/broken.png"))
        let model = dir.appendingPathComponent("m.safetensors").path
        try writeStoreTestModel(model, sizes: [16, 5], output: .linear)

        let strictStore = dir.appendingPathComponent("strict").path
        let strict = try runVicinity([
            "embed", "--model", model, "--images", images.path, "--store", strictStore, "--strict",
        ])
        #expect(strict.status != 0)
        #expect(strict.stderr.contains("broken"))
        #expect(!FileManager.default.fileExists(atPath: strictStore))

        let store = dir.appendingPathComponent("lenient").path
        let r = try runVicinity(["embed", "--model", model, "--images", images.path, "--store", store, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try parseJSON(r.stdout)
        #expect(j["skipped"] as? Int == 1 && j["count"] as? Int == 10 && j["bits"] as? Int == 0)
        #expect((j["skipped_names"] as? [String])?.first?.contains("broken") == true)
        #expect(r.stderr.contains("1 image could not be used"))
        let item = try #require(try CodeStore(path: store, access: .readOnly).get("1/img3"))
        #expect(item.label == 1 && item.bits.isEmpty && item.source.hasSuffix("imgs/1/img3"))
    }

    @Test func inspectAndExport() throws {
        let dir = try temporaryFolder()
        _ = try writeIDXDataset(in: dir, train: 120, test: 10, side: 4)
        let model = dir.appendingPathComponent("m.safetensors").path
        try writeStoreTestModel(model, sizes: [16, 12, 10])
        let store = dir.appendingPathComponent("s").path
        #expect(try runVicinity(["embed", "--model", model, "--data", dir.path, "--store", store]).status == 0)

        let inspect = try runVicinity(["inspect", store, "--json", "--check"])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        let j = try parseJSON(inspect.stdout)
        #expect(j["count"] as? Int == 120 && j["code_dims"] as? Int == 10 && j["bits"] as? Int == 10)
        #expect((j["labels"] as? [String: Int])?.values.reduce(0, +) == 120)
        #expect((j["problems"] as? [Any])?.isEmpty == true)
        #expect((j["disk_bytes"] as? Int ?? 0) > 0 && j["model"] as? String == "m.safetensors")
        let text = try runVicinity(["inspect", store])
        #expect(text.status == 0 && text.stdout.contains("120"))
        #expect(try runVicinity(["inspect", dir.appendingPathComponent("nope").path]).status != 0)

        let snap = try CodeStore(path: store, access: .readOnly).snapshot()
        let fv = dir.appendingPathComponent("c.fvecs").path
        #expect(try runVicinity(["export", store, "--format", "fvecs", "--out", fv]).status == 0)
        #expect(try readFvecs(fv).matrix == snap.codes)
        let bv = dir.appendingPathComponent("c.bvecs").path
        #expect(try runVicinity(["export", store, "--format", "bvecs", "--out", bv]).status == 0)
        let b = try readBvecs(bv)
        #expect(b.count == 120 && b.dim == 2)
        #expect((0..<120).allSatisfy { UInt64(b[$0].first!) | UInt64(b[$0].last!) << 8 == snap.bits[$0] })
        let csv = dir.appendingPathComponent("c.csv").path
        #expect(try runVicinity(["export", store, "--format", "csv", "--out", csv]).status == 0)
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 121 && lines[0].hasPrefix("id,label,c0,"))
        let fields = lines[6].split(separator: ",")
        #expect(fields[0] == Substring(snap.ids[5]) && Int(fields[1]) == snap.labels[5])
        #expect(fields.dropFirst(2).map { Float(String($0))! } == snap.codes.row(5))
    }

    /// A child `vicinity embed` killed with SIGKILL at 20 seeded random moments, each
    /// followed by a resume, ends with the same store as one uninterrupted run.
    // Long: one scenario whose steps build on each other (the files, model and stores of the first steps).
    @Test func killedEmbedsResumeToTheSameStore() throws {
        let dir = try temporaryFolder()
        let n = 3000
        _ = try writeIDXDataset(in: dir, train: n, test: 10, side: 28)
        let model = dir.appendingPathComponent("m.safetensors").path
        try writeStoreTestModel(model, sizes: [784, 32, 16])
        let args = ["embed", "--model", model, "--data", dir.path, "--batch", "20"]

        /// Runs the binary quietly; `killWhen` is polled while it runs and SIGKILLs it on true.
        func child(_ store: String, killWhen: (() -> Bool)? = nil) throws -> (seconds: Double, status: Int32) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
                .deletingLastPathComponent().appendingPathComponent("vicinity")
            process.arguments = args + ["--store", store]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            let t0 = Date()
            try process.run()
            if let killWhen {
                while process.isRunning {
                    if killWhen() { kill(process.processIdentifier, SIGKILL); break }
                    usleep(300)
                }
            }
            process.waitUntilExit()
            return (Date().timeIntervalSince(t0), process.terminationStatus)
        }

        let reference = dir.appendingPathComponent("reference").path
        let clean = try child(reference)
        #expect(clean.status == 0)
        let idle = try child(reference)  // start-up and loading, nothing left to write

        // Even kills: at a random time within start-up and loading (and whatever
        // writing fits in). Odd kills: as soon as a reader in this process sees the
        // store reach a random count between where it is and the end — mid-write.
        let crashed = dir.appendingPathComponent("crashed").path
        var rng = SeededRNG(seed: 20)
        var counts: [Int] = []
        for k in 0..<20 {
            let before = counts.last ?? 0
            if k % 2 == 0 {
                let deadline = Date().addingTimeInterval(Double(rng.uniform()) * idle.seconds * 1.5)
                _ = try child(crashed) { Date() >= deadline }
            } else {
                // Spread the targets so the store is still unfinished for the later kills.
                let oddLeft = (20 - k + 1) / 2
                let target = before + 1 + rng.below(max(1, 2 * (n - before) / (oddLeft + 1)))
                var reader: CodeStore?
                _ = try child(crashed) {
                    if reader == nil { reader = try? CodeStore(path: crashed, access: .readOnly) }
                    return ((try? reader?.count()) ?? 0) >= target
                }
            }
            do {
                let s = try CodeStore(path: crashed, access: .readOnly)
                let problems = try s.checkConsistency()
                #expect(problems == [])
                counts.append(try s.count())
            } catch let error as StoreError {
                // Killed before the first commit: no databases yet. Only possible while nothing is stored.
                guard case .notAStore = error, before == 0 else { throw error }
                counts.append(0)
            }
        }
        let finish = try runVicinity(args + ["--store", crashed, "--json"])
        #expect(finish.status == 0, "\(finish.stderr)")
        // Some kills must have landed in the middle of the writing.
        #expect(counts.contains { $0 > 0 && $0 < n }, "counts after kills: \(counts)")
        #expect(counts == counts.sorted(), "a resume lost items: \(counts)")

        let a = try CodeStore(path: reference, access: .readOnly)
        let b = try CodeStore(path: crashed, access: .readOnly)
        #expect(try b.checkConsistency() == [])
        #expect(try b.count() == n && b.meta()?.count == n)
        expectSameStore(try a.snapshot(), try b.snapshot())
        print("crash test: clean run \(clean.seconds) s, idle run \(idle.seconds) s, counts after kills \(counts)")
        #expect(counts.filter { $0 > 0 && $0 < n }.count >= 5, "counts after kills: \(counts)")
    }
}
