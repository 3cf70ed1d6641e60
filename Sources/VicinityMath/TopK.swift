/// A neighbour candidate: a score (smaller is better) and the row it came from.
public struct Neighbor: Sendable, Equatable {
    public var distance: Float
    public var index: Int
    public init(distance: Float, index: Int) { self.distance = distance; self.index = index }

    /// Total order used everywhere: by distance, then by row, so results are deterministic.
    @inlinable
    public static func precedes(_ a: Neighbor, _ b: Neighbor) -> Bool {
        a.distance < b.distance || (a.distance == b.distance && a.index < b.index)
    }
}

/// Keeps the k smallest candidates seen so far in a bounded max-heap.
/// `threshold` lets scanning loops skip most candidates without touching the heap.
public struct TopK: Sendable {
    public let k: Int
    @usableFromInline var heap: [Neighbor] = []

    public init(k: Int) {
        precondition(k >= 0, "TopK: k must be non-negative, got \(k)")
        self.k = k
        heap.reserveCapacity(k)
    }

    /// The distance a candidate must beat (or tie with a smaller row) to enter.
    @inlinable
    public var threshold: Float {
        if heap.count < k { return .infinity }
        return k == 0 ? -.infinity : heap[0].distance
    }

    @inlinable
    public mutating func insert(_ distance: Float, _ index: Int) {
        let c = Neighbor(distance: distance, index: index)
        if heap.count < k {
            heap.append(c)
            siftUp(heap.count - 1)
        } else if k > 0 && Neighbor.precedes(c, heap[0]) {
            heap[0] = c
            siftDown(0)
        }
    }

    @usableFromInline mutating func siftUp(_ i: Int) {
        var i = i
        while i > 0 {
            let parent = (i - 1) / 2
            guard Neighbor.precedes(heap[parent], heap[i]) else { break }
            heap.swapAt(parent, i)
            i = parent
        }
    }

    @usableFromInline mutating func siftDown(_ i: Int) {
        var i = i
        let n = heap.count
        while true {
            let l = 2 * i + 1, r = l + 1
            var largest = i
            if l < n && Neighbor.precedes(heap[largest], heap[l]) { largest = l }
            if r < n && Neighbor.precedes(heap[largest], heap[r]) { largest = r }
            if largest == i { return }
            heap.swapAt(i, largest)
            i = largest
        }
    }

    /// The kept candidates, best first.
    public func sorted() -> [Neighbor] { heap.sorted(by: Neighbor.precedes) }
}

extension Collection where Element == Float, Index == Int {
    /// Indices of the k smallest values, best first, ties by index.
    public func smallest(_ k: Int) -> [Neighbor] {
        var top = TopK(k: Swift.min(k, count))
        for i in indices where self[i] <= top.threshold { top.insert(self[i], i) }
        return top.sorted()
    }
}
