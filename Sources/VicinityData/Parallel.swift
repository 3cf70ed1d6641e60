import Dispatch
import Foundation

/// Result slots that distinct iterations of `concurrentPerform` write to.
///
/// `@unchecked Sendable` is sound here because every index is written by
/// exactly one iteration, and the slots are read only after
/// `concurrentPerform` has returned (which orders all the writes before).
private final class Slots<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T?>
    let count: Int
    init(count: Int) {
        self.count = count
        base = .allocate(capacity: count)
        base.initialize(repeating: nil, count: count)
    }
    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }
}

/// `(0..<count).map(body)`, run on all cores in a few contiguous chunks per
/// core (chunks rather than one task per element, to keep dispatch overhead
/// negligible when the per-element work is tiny, such as a 28×28 PNG).
func parallelMap<T: Sendable>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
    if count == 0 { return [] }
    let slots = Slots<T>(count: count)
    let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
    let chunks = min(count, cores * 4)
    DispatchQueue.concurrentPerform(iterations: chunks) { c in
        let lo = count * c / chunks, hi = count * (c + 1) / chunks
        for i in lo..<hi { (slots.base + i).pointee = body(i) }
    }
    return (0..<count).map { slots.base[$0]! }
}
