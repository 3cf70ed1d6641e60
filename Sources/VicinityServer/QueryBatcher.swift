import Foundation
import Synchronization
import VicinityMath

/// Gathers the KNN queries that arrive while a search runs and answers them
/// together: one blocked sgemm over the codes serves the whole batch, so many
/// clients cost little more than one. One worker thread runs the searches
/// (and uses every core inside them); event loops only enqueue.
final class QueryBatcher: Sendable {
    struct Job: Sendable {
        var vector: [Float]
        var k: Int
        var completion: @Sendable (Result<[Hit], Error>) -> Void
    }

    /// Most queries searched in one go (bounds the latency of a batch).
    static let maxBatch = 256

    private let jobs = Mutex<[Job]>([])
    private let wake = DispatchSemaphore(value: 0)
    private let stopped = Atomic<Bool>(false)
    /// Batches run and queries answered, for INFO.
    let batches = Atomic<Int>(0)
    let answered = Atomic<Int>(0)
    /// Searches a batch of query rows for their k nearest, as hits.
    private let search: @Sendable (Matrix, Int) -> [[Hit]]

    init(dims: Int, search: @escaping @Sendable (Matrix, Int) -> [[Hit]]) {
        self.search = search
        let thread = Thread { [self] in run(dims: dims) }
        thread.name = "vicinity-knn"
        thread.start()
    }

    func submit(_ job: Job) {
        jobs.withLock { $0.append(job) }
        wake.signal()
    }

    func stop() {
        stopped.store(true, ordering: .relaxed)
        wake.signal()
    }

    private func run(dims: Int) {
        while true {
            wake.wait()
            if stopped.load(ordering: .relaxed) { return }
            let batch: [Job] = jobs.withLock { pending in
                let n = min(pending.count, Self.maxBatch)
                let taken = Array(pending.prefix(n))
                pending.removeFirst(n)
                return taken
            }
            // Each submit signalled once; a batch of n answers n signals, so swallow the rest.
            if batch.count > 1 { for _ in 1..<batch.count { _ = wake.wait(timeout: .now()) } }
            guard !batch.isEmpty else { continue }
            let queries = Matrix(rows: batch.count, cols: dims, storage: batch.flatMap(\.vector))
            let k = batch.map(\.k).max()!
            let results = search(queries, k)
            batches.add(1, ordering: .relaxed)
            answered.add(batch.count, ordering: .relaxed)
            for (job, hits) in zip(batch, results) { job.completion(.success(Array(hits.prefix(job.k)))) }
            if !jobs.withLock({ $0.isEmpty }) { wake.signal() }
        }
    }
}
