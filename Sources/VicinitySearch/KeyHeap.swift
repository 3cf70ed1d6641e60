/// A binary min-heap of integer keys, built in O(n) from an array: a search that
/// usually stops after the first few smallest keys pays for those, not for a sort.
struct KeyHeap {
    private var keys: [UInt64]

    init(_ keys: [UInt64]) {
        self.keys = keys
        var i = keys.count / 2
        while i > 0 {
            i -= 1
            siftDown(i)
        }
    }

    var isEmpty: Bool { keys.isEmpty }

    /// The smallest key, or nil when none is left.
    mutating func popMin() -> UInt64? {
        guard let last = keys.popLast() else { return nil }
        guard !keys.isEmpty else { return last }
        let top = keys[0]
        keys[0] = last
        siftDown(0)
        return top
    }

    private mutating func siftDown(_ start: Int) {
        keys.withUnsafeMutableBufferPointer { k in
            var i = start
            let n = k.count
            while true {
                let l = 2 * i + 1
                if l >= n { return }
                let r = l + 1
                let child = r < n && k[r] < k[l] ? r : l
                if k[i] <= k[child] { return }
                k.swapAt(i, child)
                i = child
            }
        }
    }
}
