import Foundation
import VicinityStore

/// Commits batches on a background queue, one at a time and in order, with at most
/// one more waiting, so writing overlaps embedding. After an error nothing more is written.
final class BatchWriter: @unchecked Sendable {
    private let store: CodeStore
    private let queue = DispatchQueue(label: "vicinity.embed.writer")
    private let slots = DispatchSemaphore(value: 2)
    private let group = DispatchGroup()
    private let lock = NSLock()
    private var _written = 0
    private var _seconds = 0.0
    private var _error: (any Error)?

    init(store: CodeStore) { self.store = store }

    var written: Int { lock.withLock { _written } }
    var seconds: Double { lock.withLock { _seconds } }
    var error: (any Error)? { lock.withLock { _error } }

    func submit(_ batch: ItemBatch) {
        slots.wait()
        group.enter()
        queue.async {
            defer { self.slots.signal(); self.group.leave() }
            guard self.error == nil else { return }
            let t0 = Date()
            do {
                try self.store.put(batch)
                self.store.releaseMappedPages()  // a 10M-item run stays in bounded memory
                self.lock.withLock {
                    self._written += batch.count; self._seconds += Date().timeIntervalSince(t0)
                }
            } catch {
                self.lock.withLock { self._error = error }
            }
        }
    }

    /// Waits until everything submitted is committed (or failed).
    func finish() { group.wait() }
}
