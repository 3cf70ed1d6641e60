import VicinityMath

/// Inner products of every query with every base row, tile by tile: each worker
/// takes whole chunks of queries and walks the base in blocks, one sgemm on its
/// own thread per tile into scratch of its own, which is still in that core's
/// cache when `body` scans it. No barrier between tiles, and no OpenBLAS
/// workers spinning beside ours.
struct ProductTiles {
    let queries: UnsafePointer<Float>
    let queryCount: Int
    let base: UnsafePointer<Float>
    let baseCount: Int
    /// Floats per row of both.
    let width: Int

    /// Queries per chunk (fewer when that leaves a core idle) and base rows per
    /// block: a tile of scores is 512 KiB, half a core's L2. Long chunks and
    /// short blocks measured best (d = 30, 64, 784 on 2 cores): a block's rows are
    /// reused by every query of the chunk while they are still in cache.
    var queryChunk: Int { min(512, (queryCount + availableCores - 1) / availableCores) }
    let baseBlock = 256

    /// Calls `body(queries, rows, products)` once per tile, from several threads;
    /// `products` is row-major, one row of `rows.count` per query. Every query's
    /// tiles come from the same thread, in row order.
    func forEach(_ body: @Sendable (Range<Int>, Range<Int>, UnsafePointer<Float>) -> Void) {
        let chunk = queryChunk, block = min(baseBlock, baseCount)
        let chunks = (queryCount + chunk - 1) / chunk
        guard chunks > 0, block > 0 else { return }
        let workers = min(availableCores, chunks)
        let (queryCount, baseCount, width) = (queryCount, baseCount, width)
        let shared = UnsafeSendable((queries, base))
        parallelFor(workers) { w in
            let (queries, base) = shared.value
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: chunk * block)
            defer { scratch.deallocate() }
            for c in stride(from: w, to: chunks, by: workers) {
                let q = c * chunk..<min((c + 1) * chunk, queryCount)
                for b0 in stride(from: 0, to: baseCount, by: block) {
                    let rows = b0..<min(b0 + block, baseCount)
                    BLAS.gemm(
                        .none, .transposed, m: q.count, n: rows.count, k: width, alpha: 1,
                        a: queries + q.lowerBound * width, lda: width,
                        b: base + b0 * width, ldb: width, beta: 0, c: scratch, ldc: rows.count, parts: 1)
                    body(q, rows, scratch)
                }
            }
        }
    }
}
