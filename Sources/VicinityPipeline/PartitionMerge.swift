import Foundation
import VicinityStore

/// `vicinity merge`: the part stores of one input cut n ways (`embed --partition i/n`) made into
/// one store, whose data.mdb is byte for byte the one a single `vicinity embed` of that input writes.
/// Parts are checked first: all complete, of one model, cut from one input the same number of
/// ways, every partition there exactly once, no id in two of them.
public struct PartitionMerge {
    public var parts: [String]
    public var out: String

    public init(parts: [String], out: String) {
        self.parts = parts
        self.out = out
    }

    /// One part store and what its meta says.
    struct Part {
        var path: String
        var store: CodeStore
        var meta: StoreMeta
        var partition: EmbedPartition
        var items: Int
    }

    public func run() throws -> MergeSummary {
        let start = Date()
        guard !parts.isEmpty else { throw PipelineError("give the part stores to merge") }
        if FileManager.default.fileExists(atPath: (out as NSString).appendingPathComponent("data.mdb")) {
            throw PipelineError("--out \(out) already holds a store; choose a new folder")
        }
        var seen: [String: String] = [:]
        for path in parts {
            let standard = (path as NSString).standardizingPath
            if let earlier = seen[standard] { throw PipelineError("\(path) is given twice (as \(earlier) too)") }
            seen[standard] = path
        }
        let opened = try parts.map(open)
        try check(opened)
        let meta = opened[0].meta.extra.filter { !EmbedPartition.isPartitionKey($0.key) }
        let count: Int
        do {
            count = try CodeStore.writeCanonicalUnion(of: opened.map(\.store), meta: meta, to: out)
            try saveSearchIndexes(try CodeStore(path: out))  // as a single run's embed ends
        } catch let error as StoreError {
            throw PipelineError("merge into \(out) failed: \(error)")
        }
        let bytes =
            (try? FileManager.default.attributesOfItem(atPath: (out as NSString).appendingPathComponent("data.mdb"))[
                .size] as? Int) ?? 0
        return MergeSummary(
            out: out, parts: opened.count, count: count, bytes: bytes, seconds: Date().timeIntervalSince(start))
    }

    func open(_ path: String) throws -> Part {
        let store: CodeStore
        do { store = try CodeStore(path: path, access: .readOnly) } catch { throw PipelineError("\(error)") }
        guard let meta = try store.meta() else {
            throw PipelineError("\(path): the store has no model yet (its embed stopped before writing anything)")
        }
        guard let text = meta.extra[EmbedPartition.partKey] else {
            throw PipelineError(
                "\(path) is not a part store: it was not made by `vicinity embed --partition i/n`")
        }
        guard let partition = EmbedPartition(text) else {
            throw PipelineError("\(path): its meta partition is '\(text)', not i/n")
        }
        guard let items = meta.extra[EmbedPartition.itemsKey].flatMap({ Int($0) }),
            meta.extra[EmbedPartition.idsKey] != nil
        else {
            throw PipelineError(
                "\(path) holds partition \(partition) but its embed did not finish; run the same `vicinity embed --partition \(partition)` again to complete it"
            )
        }
        return Part(path: path, store: store, meta: meta, partition: partition, items: items)
    }

    /// Every part is of the first one's model, cut, input and meta; every partition is there once.
    func check(_ opened: [Part]) throws {
        let first = opened[0]
        for part in opened.dropFirst() {
            let (a, b) = (first.meta, part.meta)
            if part.partition.count != first.partition.count {
                throw PipelineError(
                    "\(part.path) is partition \(part.partition) but \(first.path) is partition \(first.partition): the parts of one merge are cut the same number of ways"
                )
            }
            if !b.isEmbedding(ofModel: a.modelFingerprint, codeDims: a.codeDims) || b.bits != a.bits {
                throw PipelineError(
                    "\(part.path) holds codes of model \(b.modelFingerprint) (\(b.extra["model"] ?? b.extra["vectors"] ?? "?"), \(b.codeDims)-D, \(b.bits) bits) but \(first.path) of model \(a.modelFingerprint) (\(a.extra["model"] ?? a.extra["vectors"] ?? "?"), \(a.codeDims)-D, \(a.bits) bits): the parts must be embedded with one model"
                )
            }
            for key in [EmbedPartition.inputKey, EmbedPartition.itemsKey, EmbedPartition.idsKey]
            where a.extra[key] != b.extra[key] {
                throw PipelineError(
                    "\(part.path) was cut from another input than \(first.path) (\(b.extra["data"] ?? "?"), \(part.items) items; \(a.extra["data"] ?? "?"), \(first.items) items): the parts must come from one input, --id-prefix and --batch"
                )
            }
            for key in Set(a.extra.keys).union(b.extra.keys).sorted()
            where !EmbedPartition.isPartitionKey(key) && a.extra[key] != b.extra[key] {
                throw PipelineError(
                    "\(part.path) and \(first.path) differ in their meta \(key): '\(b.extra[key] ?? "")' and '\(a.extra[key] ?? "")'"
                )
            }
        }
        try checkCoverage(opened)
        let held = opened.reduce(0) { $0 + $1.meta.count }
        guard held == first.items else {
            throw PipelineError(
                "the parts hold \(held) items but their input has \(first.items): a part was changed after its embed")
        }
    }

    /// Partitions 0..<n, each exactly once.
    func checkCoverage(_ opened: [Part]) throws {
        let n = opened[0].partition.count
        var given: [Int: String] = [:]
        for part in opened {
            if let other = given[part.partition.index] {
                throw PipelineError("partition \(part.partition) is given twice: \(other) and \(part.path)")
            }
            given[part.partition.index] = part.path
        }
        let missing = (0..<n).filter { given[$0] == nil }
        guard !missing.isEmpty else { return }
        // Name the stores the convention (stores/NAME.part-i) expects.
        let example = (opened[0].path as NSString).standardizingPath
        let suffix = ".part-\(opened[0].partition.index)"
        let base = example.hasSuffix(suffix) ? String(example.dropLast(suffix.count)) : nil
        let names = missing.map { i in "\(i)/\(n)" + (base.map { " (\(EmbedPartition.partStore($0, index: i)))" } ?? "")
        }
        throw PipelineError(
            "\(missing.count == 1 ? "partition" : "partitions") \(names.joined(separator: ", ")) \(missing.count == 1 ? "is" : "are") missing: a merge needs all \(n) parts"
        )
    }
}

/// What a merge wrote.
public struct MergeSummary: Sendable {
    public var out: String
    public var parts: Int
    public var count: Int
    /// data.mdb's size.
    public var bytes: Int
    public var seconds: Double
}
