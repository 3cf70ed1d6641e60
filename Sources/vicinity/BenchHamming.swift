import ArgumentParser
import Foundation
import VicinityCodes
import VicinityData
import VicinityMath
import VicinitySearch

extension Vicinity.Bench {
    struct Hamming: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Exact Hamming k-NN or radius search: linear scan or multi-index hashing over byte codes (.bvecs); figures as JSON."
        )

        @Option(help: "Database codes (.bvecs, 8 bits per byte).") var base: String
        @Option(help: "Query codes (.bvecs).") var queries: String
        @Option(help: "Neighbours per query.") var k = 10
        @Option(help: "Every item within this Hamming radius instead of k-NN, one query at a time (latencies).")
        var radius: Int?
        @Option(help: "Threads (default: all cores).") var threads: Int?
        @Flag(help: "Multi-index hashing instead of the linear scan.") var mih = false
        @Flag(help: "Multi-index hashing over each distinct code once, rows chained beside it (what the server does).")
        var grouped = false
        @Option(
            help:
                "Substrings for --mih or --grouped (default: chosen from count and bits); 1 makes a ≤ 32-bit code the address (what the server does)."
        )
        var substrings: Int?
        @Option(help: "Write the neighbour ids here (.ivecs).") var out: String?

        func run() throws {
            if let threads { try applyThreads(threads) }
            let b = try readBvecs(base), q = try readBvecs(queries)
            guard b.dim == q.dim else {
                throw CLIError("\(base) has \(b.dim) bytes per code but \(queries) has \(q.dim)")
            }
            let bits = b.dim * 8
            let baseCodes = try BinaryCodes(bytes: b.values, bits: bits)
            let queryCodes = try BinaryCodes(bytes: q.values, bits: bits)
            let t0 = Date()
            let index: any HammingSearchIndex =
                if grouped {
                    GroupedHammingIndex(baseCodes, substrings: substrings)
                } else if mih {
                    MultiIndexHash(baseCodes, substrings: substrings)
                } else {
                    HammingIndex(baseCodes)
                }
            let build = Date().timeIntervalSince(t0)
            if let radius {
                try printJSON(radiusFigures(index, queryCodes, radius: radius, build: build))
                return
            }
            let t1 = Date()
            let hits = index.search(queryCodes, k: k)
            let seconds = Date().timeIntervalSince(t1)
            try writeResults(hits, k: k, to: out)
            var figures: [String: Any] = [
                "index": name, "base": b.count, "queries": q.count, "bits": bits, "k": k,
                "threads": availableCores, "build_seconds": build, "search_seconds": seconds,
                "queries_per_second": Double(q.count) / seconds, "raw_bytes": baseCodes.words.count * 8,
            ]
            if let m = index as? MultiIndexHash {
                figures["substrings"] = m.substrings
                figures["table_bytes"] = m.tableMemoryBytes
            }
            if let g = index as? GroupedHammingIndex {
                figures["distinct_codes"] = g.groups.rowCount
                figures["substrings"] = g.groups.substrings
                figures["table_bytes"] = g.memoryBytes
            }
            try printJSON(figures)
        }

        var name: String { grouped ? "grouped" : mih ? "mih" : "scan" }

        /// One query at a time, each timed: latency percentiles and the balls' sizes.
        func radiusFigures(_ index: any HammingSearchIndex, _ queries: BinaryCodes, radius: Int, build: Double)
            throws -> [String: Any]
        {
            guard radius >= 0 && radius <= queries.bits else {
                throw ValidationError("--radius must be in 0…\(queries.bits), got \(radius)")
            }
            var seconds = [Double](), hits = 0
            let start = Date()
            for q in 0..<queries.count {
                let t = Date()
                hits += index.search(queries.codes([q]), radius: radius)[0].count
                seconds.append(Date().timeIntervalSince(t))
            }
            let total = Date().timeIntervalSince(start)
            seconds.sort()
            func ms(_ p: Double) -> Double { 1000 * seconds[min(seconds.count - 1, Int(p * Double(seconds.count)))] }
            var figures: [String: Any] = [
                "index": name, "base": index.rowCount, "queries": queries.count, "bits": queries.bits,
                "radius": radius, "build_seconds": build, "queries_per_second": Double(queries.count) / total,
                "mean_hits": Double(hits) / Double(max(1, queries.count)),
                "p50_ms": ms(0.5), "p99_ms": ms(0.99), "mean_ms": 1000 * total / Double(max(1, queries.count)),
            ]
            if let m = index as? MultiIndexHash { figures["substrings"] = m.substrings }
            return figures
        }
    }
}
