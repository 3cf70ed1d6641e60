import Foundation
import VicinityTestSupport
import Testing
import VicinityData
import VicinityStore
@testable import VicinityPipeline

/// Partitioned embeds (`--partition i/n`) and their merge: for an input read whole, an IDX file
/// and perturbed copies, cut 1, 2 and 3 ways on windows that leave a short last one, the merged
/// parts are the single run's data.mdb byte for byte; parts that do not belong together are
/// refused by name; a stopped part resumes (and only as the run that made it).
@Suite struct PartitionTests {
    enum Input: String, CaseIterable, Sendable { case whole, idx, perturbed }

    /// A model and an input in a folder, and runs over them.
    struct Fixture {
        var dir: URL
        var model: String
        var input: EmbedConfiguration.Input
        var batch: Int
        /// Attributes for a few ids of each kind of input (the others' ids are not in the store).
        var attributes: String

        init(_ kind: Input, in dir: URL) throws {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            self.dir = dir
            model = dir.appendingPathComponent("m.safetensors").path
            try writeStoreTestModel(model, sizes: [16, 8, 6])
            attributes = dir.appendingPathComponent("attributes.jsonl").path
            try Data(
                ["train-3", "test-12", "3", "56", "p00000003", "p00000046"].map { "{\"id\":\"\($0)\",\"year\":1950}\n" }
                    .joined().utf8
            ).write(to: URL(fileURLWithPath: attributes))
            switch kind {
            case .whole:  // test-0 … test-12, then train-0 … train-39: windows of 7, 6; 7 ×5, 5
                try writeMNISTLayout(in: dir, train: 40, test: 13)
                (input, batch) = (.dataset(dir.path, split: .all), 7)
            case .idx:  // ids 0 … 56 in windows of 5, the last of 2
                let images = dir.appendingPathComponent("x.idx.gz").path
                try writeIDX(
                    IDXArray(dims: [57, 4, 4], elements: .uint8((0..<(57 * 16)).map { UInt8($0 * 7 % 256) })),
                    to: images)
                (input, batch) = (.images(images, labels: nil, fit: .crop), 5)
            case .perturbed:  // p00000000 … p00000046 in windows of 10, the last of 7
                try writeMNISTLayout(in: dir, train: 30, test: 5)
                (input, batch) = (.perturbed(dir.path, count: 47, seed: 3), 10)
            }
        }

        func path(_ store: String) -> String { dir.appendingPathComponent(store).path }

        func configuration(_ store: String, _ partition: EmbedPartition? = nil, batch: Int? = nil)
            -> EmbedConfiguration
        {
            EmbedConfiguration(
                input: input, model: model, store: path(store), batch: batch ?? self.batch, attributes: attributes,
                partition: partition)
        }

        func embed(_ store: String, _ partition: EmbedPartition? = nil, batch: Int? = nil) throws -> EmbedSummary {
            try EmbedJob(configuration(store, partition, batch: batch)).run(reporter: SilentReporter())
        }
    }

    static func part(_ i: Int, of n: Int) -> EmbedPartition { EmbedPartition(index: i, count: n)! }

    @Test(arguments: Input.allCases)
    func mergedPartsAreTheSingleRun(_ kind: Input) throws {
        try withTemporaryFolder { dir in
            let f = try Fixture(kind, in: dir)
            let single = try f.embed("single")
            #expect(single.complete && single.canonical && single.partition == nil)
            let all = try CodeStore(path: single.store, access: .readOnly).snapshot()
            #expect(all.ids == all.ids.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }, "rows follow id order")
            for n in 1...3 {
                var ids: [Set<String>] = []
                var shares = 0
                let parts = try (0..<n).map { i in
                    let part = try f.embed("s\(n).part-\(i)", Self.part(i, of: n))
                    #expect(part.complete && part.partition == Self.part(i, of: n))
                    #expect(part.partitionInputItems == single.count && part.count == part.inputItems)
                    shares += part.inputItems
                    ids.append(Set(try CodeStore(path: part.store, access: .readOnly).snapshot().ids))
                    return part.store
                }
                // Ids from the data are global: no two parts share one, and together they are the input's.
                #expect(shares == single.count && ids.reduce(0) { $0 + $1.count } == single.count)
                #expect(ids.reduce(Set()) { $0.union($1) } == Set(all.ids))
                let merged = try PartitionMerge(parts: parts.reversed(), out: f.path("s\(n)")).run()
                #expect(merged.count == single.count && merged.parts == n)
                #expect(try CodeStore(path: f.path("s\(n)"), access: .readOnly).attributeCount() == 2)
                #expect(try storeBytes(f.path("s\(n)")) == storeBytes(single.store), "\(kind), n = \(n)")
            }
        }
    }

    // Long: one scenario over one set of stores: each refusal names what is wrong.
    @Test func mergeRefusesPartsThatDoNotBelongTogether() throws {
        try withTemporaryFolder { dir in
            let f = try Fixture(.whole, in: dir)
            let two = try (0..<2).map { try f.embed("two.part-\($0)", Self.part($0, of: 2)).store }
            let three = try (0..<3).map { try f.embed("three.part-\($0)", Self.part($0, of: 3)).store }
            let single = try f.embed("single").store
            let otherModel = dir.appendingPathComponent("other.safetensors").path
            try writeStoreTestModel(otherModel, sizes: [16, 5], seed: 6)
            var other = f.configuration("other.part-1", Self.part(1, of: 2))
            other.model = otherModel
            let b = try EmbedJob(other).run(reporter: SilentReporter()).store
            let fiveBatch = try f.embed("five.part-1", Self.part(1, of: 2), batch: 5).store
            var asked = 0
            let stopped = try EmbedJob(f.configuration("half.part-1", Self.part(1, of: 2))).run(
                reporter: SilentReporter()
            ) {
                asked += 1
                return asked > 2
            }
            #expect(!stopped.complete && stopped.count == 6)  // window 1: test-7 … test-12
            let copy = f.path("copy.part-0")
            try FileManager.default.copyItem(atPath: two[0], toPath: copy)

            func refusal(_ parts: [String], out: String = "out") throws -> String {
                let error = try #require(throws: PipelineError.self) {
                    try PartitionMerge(parts: parts, out: f.path(out)).run()
                }
                #expect(!FileManager.default.fileExists(atPath: f.path("out") + "/data.mdb"))
                return error.description
            }
            #expect(
                try refusal([two[0]]) == "partition 1/2 (\(f.path("two.part-1"))) is missing: a merge needs all 2 parts"
            )
            #expect(
                try refusal([three[1]])
                    == "partitions 0/3 (\(three[0])), 2/3 (\(three[2])) are missing: a merge needs all 3 parts")
            #expect(try refusal([two[0], copy, two[1]]) == "partition 0/2 is given twice: \(two[0]) and \(copy)")
            #expect(try refusal([two[0], two[1], two[0]]) == "\(two[0]) is given twice (as \(two[0]) too)")
            let model = try refusal([two[0], b])
            #expect(
                model.hasPrefix("\(b) holds codes of model ") && model.contains("other.safetensors, 5-D, 5 bits")
                    && model.hasSuffix("the parts must be embedded with one model"), "\(model)")
            #expect(
                try refusal([two[0], three[1], three[2]])
                    == "\(three[1]) is partition 1/3 but \(two[0]) is partition 0/2: the parts of one merge are cut the same number of ways"
            )
            #expect(
                try refusal([two[0], fiveBatch]).hasPrefix("\(fiveBatch) was cut from another input than \(two[0])"))
            #expect(
                try refusal([two[0], stopped.store])
                    == "\(stopped.store) holds partition 1/2 but its embed did not finish; run the same `vicinity embed --partition 1/2` again to complete it"
            )
            #expect(
                try refusal([single, two[1]])
                    == "\(single) is not a part store: it was not made by `vicinity embed --partition i/n`")
            #expect(try refusal(two, out: "single") == "--out \(single) already holds a store; choose a new folder")
            #expect(try PartitionMerge(parts: two, out: f.path("out")).run().count == 53)
        }
    }

    @Test(arguments: [Input.whole, .perturbed])
    func aStoppedPartResumesAsTheRunThatMadeIt(_ kind: Input) throws {
        try withTemporaryFolder { dir in
            let f = try Fixture(kind, in: dir)
            let single = try f.embed("single")
            let first = try f.embed("s.part-0", Self.part(0, of: 2))
            var asked = 0
            let stopped = try EmbedJob(f.configuration("s.part-1", Self.part(1, of: 2))).run(
                reporter: SilentReporter()
            ) {
                asked += 1
                return asked > 3  // whole: two of its windows go in; perturbed: one (a stop between chunks)
            }
            #expect(!stopped.complete && !stopped.canonical && stopped.count == (kind == .whole ? 13 : 10))
            let meta = try #require(try CodeStore(path: stopped.store, access: .readOnly).meta())
            #expect(meta.extra["partition"] == "1/2" && meta.extra["partition_items"] == nil)

            func refusal(_ store: String, _ partition: EmbedPartition?, batch: Int? = nil) throws -> String {
                try #require(throws: PipelineError.self) { try f.embed(store, partition, batch: batch) }.description
            }
            let again = "Use another --store or --rebuild to clear this one."
            #expect(
                try refusal("s.part-1", Self.part(0, of: 2))
                    == "\(stopped.store) holds partition 1/2 of an input, not 0/2; give --partition 1/2 to resume it. \(again)"
            )
            #expect(
                try refusal("s.part-1", nil)
                    == "\(stopped.store) holds partition 1/2 of an input; give --partition 1/2 to resume it. \(again)")
            #expect(try refusal("s.part-1", Self.part(1, of: 2), batch: 3).contains("of another input"))
            #expect(
                try refusal("single", Self.part(1, of: 2))
                    == "\(single.store) holds an embed of a whole input, not partition 1/2; a part goes into a store of its own (by convention stores/NAME.part-1). \(again)"
            )

            let reporter = RecordingReporter()
            let resumed = try EmbedJob(f.configuration("s.part-1", Self.part(1, of: 2))).run(reporter: reporter)
            #expect(resumed.complete && resumed.alreadyStored == stopped.count)
            #expect(resumed.embedded + stopped.count == resumed.inputItems)
            #expect(resumed.inputItems + first.inputItems == single.count)
            #expect(reporter.notes.first?.hasPrefix("resuming: ") == true, "\(reporter.notes)")
            #expect(reporter.totals == [resumed.inputItems])
            _ = try PartitionMerge(parts: [first.store, resumed.store], out: f.path("s")).run()
            #expect(try storeBytes(f.path("s")) == storeBytes(single.store))
        }
    }
}
