import CKernels

/// Distance kernels on raw Float rows, 8 lanes at a time (rows shorter than 8 with a scalar loop).
public enum Kernels {
    @inline(__always)
    public static func squaredL2(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        vicinity_squared_l2(a, b, b + min(n, 16), n, .infinity)
    }

    /// `squaredL2` of a row kept in two pieces, its first 16 floats at `head` and the rest
    /// at `tail` (a split row needs n ≥ 24), with the same bits. When the first 16
    /// dimensions alone sum to more than `limit` it returns that sum instead (no more than
    /// the whole) and never reads `tail` (CKernels' shim.h holds the kernel and why).
    @inline(__always)
    public static func squaredL2(
        _ a: UnsafePointer<Float>, head: UnsafePointer<Float>, tail: UnsafePointer<Float>, _ n: Int,
        unlessAbove limit: Float
    ) -> Float {
        vicinity_squared_l2(a, head, tail, n, limit)
    }

    @inlinable @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        var i = 0
        while i + 16 <= n {
            acc0 +=
                UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
                * UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            acc1 +=
                UnsafeRawPointer(a + i + 8).loadUnaligned(as: SIMD8<Float>.self)
                * UnsafeRawPointer(b + i + 8).loadUnaligned(as: SIMD8<Float>.self)
            i += 16
        }
        if i + 8 <= n {
            acc0 +=
                UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
                * UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            i += 8
        }
        var s = (acc0 + acc1).sum()
        while i < n { s += a[i] * b[i]; i += 1 }
        return s
    }
}
