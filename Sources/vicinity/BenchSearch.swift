import ArgumentParser
import Foundation
import VicinityData
import VicinityCodes
import VicinityMath
import VicinitySearch

extension Vicinity.Bench {
    struct KNN: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Exact float k-NN with FlatIndex (or the cluster-pruned index the server uses): build, search every query, write neighbour ids (.ivecs), print figures as JSON."
        )

        @Option(help: "Database vectors (.fvecs).") var base: String
        @Option(help: "Query vectors (.fvecs).") var queries: String
        @Option(help: "Neighbours per query.") var k = 10
        @Option(help: "Threads (default: all cores).") var threads: Int?
        @Flag(help: "One query at a time (the direct scan) instead of one batch.") var single = false
        @Flag(help: "ClusteredFlatIndex: skip k-means clusters the triangle inequality rules out (same answers).")
        var clustered = false
        @Flag(
            help:
                "Batches without FlatIndex's principal-axes bound: every pair through sgemm (same answers; for comparison)."
        )
        var noBound = false
        @Option(help: "Write the neighbour ids here (.ivecs).") var out: String?

        func run() throws {
            if let threads { try applyThreads(threads) }
            let b = try readFvecs(base), q = try readFvecs(queries)
            guard b.dim == q.dim else { throw CLIError("\(base) has \(b.dim) dims but \(queries) has \(q.dim)") }
            guard k >= 1 else { throw ValidationError("--k must be at least 1") }
            let t0 = Date()
            // Only the index being measured is built, so build time and memory are its own.
            let index: (one: ([Float]) -> [Neighbor], batch: (Matrix) -> [[Neighbor]], overhead: Int, boundAxes: Int)
            var scored: Double?
            if clustered {
                let c = ClusteredFlatIndex(b.matrix)
                index = ({ c.searchOne($0, k: k) }, { c.search($0, k: k) }, c.overheadBytes, 0)
                let qm = q.matrix
                scored =
                    Double((0..<q.count).reduce(0) { $0 + c.searchCountingRows(qm.row($1), k: k).scored })
                    / Double(q.count)
            } else {
                let f = FlatIndex(b.matrix, boundAxes: noBound ? 0 : nil)
                index = ({ f.searchOne($0, k: k) }, { f.search($0, k: k) }, f.overheadBytes, f.boundAxes)
            }
            let build = Date().timeIntervalSince(t0)
            let t1 = Date()
            let qm = q.matrix
            let hits = single ? (0..<q.count).map { index.one(qm.row($0)) } : index.batch(qm)
            let seconds = Date().timeIntervalSince(t1)
            try writeResults(hits, k: k, to: out)
            let raw = b.count * b.dim * 4
            try printJSON([
                "index": clustered ? "clustered" : "flat", "base": b.count, "queries": q.count, "dims": b.dim, "k": k,
                "single": single,
                "threads": availableCores, "build_seconds": build, "search_seconds": seconds,
                "queries_per_second": Double(q.count) / seconds,
                "memory_bytes": raw + index.overhead, "bound_axes": index.boundAxes, "raw_bytes": raw,
                "rows_scored_per_query": scored ?? Double(b.count),
            ])
        }
    }
}

/// Restricts the worker threads; must run before any search touches `availableCores`.
func applyThreads(_ n: Int) throws {
    guard n >= 1 else { throw ValidationError("--threads must be at least 1") }
    setenv("VICINITY_THREADS", String(n), 1)
    // With our own threads OpenBLAS stays on one: its idle workers would spin beside ours.
    if !BLAS.ownThreads { BLAS.setThreads(n) }
}

/// Neighbour ids as .ivecs, k per query (−1 where a query has fewer).
func writeResults(_ hits: [[Neighbor]], k: Int, to path: String?) throws {
    guard let path else { return }
    var values: [Int32] = []
    values.reserveCapacity(hits.count * k)
    for h in hits { for i in 0..<k { values.append(i < h.count ? Int32(h[i].index) : -1) } }
    try writeIvecs(VectorFile(count: hits.count, dim: k, values: values), to: path)
}
