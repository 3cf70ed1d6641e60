import Dispatch
import Foundation

/// Wraps a value that is shared across worker threads where the caller
/// guarantees the workers touch disjoint parts (e.g. separate rows of a buffer).
public struct UnsafeSendable<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}

/// Runs `body(i)` for i in 0..<count on all cores; returns when all are done.
public func parallelFor(_ count: Int, _ body: @Sendable (Int) -> Void) {
    if count == 1 { body(0); return }
    guard count > 1 else { return }
    DispatchQueue.concurrentPerform(iterations: count, execute: body)
}

/// The number of worker threads to split CPU work into: the cores, or
/// VICINITY_THREADS when set (read once, at first use).
public let availableCores: Int = {
    if let text = ProcessInfo.processInfo.environment["VICINITY_THREADS"], let n = Int(text), n >= 1 { return n }
    return max(1, ProcessInfo.processInfo.activeProcessorCount)
}()

/// `(0..<count).map(body)` on all cores, in a few contiguous chunks per core
/// (chunks rather than one task per element keep dispatch overhead negligible
/// when each element is small work, such as decoding a 28×28 PNG).
public func parallelMap<T: Sendable>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
    guard count > 0 else { return [] }
    let slots = UnsafeMutablePointer<T?>.allocate(capacity: count)
    slots.initialize(repeating: nil, count: count)
    defer { slots.deinitialize(count: count); slots.deallocate() }
    let shared = UnsafeSendable(slots)
    let chunks = min(count, availableCores * 4)
    // Each index is written by exactly one chunk, and read only after all have finished.
    parallelFor(chunks) { c in
        let lo = count * c / chunks, hi = count * (c + 1) / chunks
        for i in lo..<hi { (shared.value + i).pointee = body(i) }
    }
    return (0..<count).map { slots[$0]! }
}
