/// Distance kernels on raw Float rows, 8 lanes at a time (rows shorter than 8 with a scalar loop).
public enum Kernels {
    @inlinable @inline(__always)
    public static func squaredL2(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        var i = 0
        while i + 16 <= n {
            let d0 =
                UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
                - UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            let d1 =
                UnsafeRawPointer(a + i + 8).loadUnaligned(as: SIMD8<Float>.self)
                - UnsafeRawPointer(b + i + 8).loadUnaligned(as: SIMD8<Float>.self)
            acc0 += d0 * d0
            acc1 += d1 * d1
            i += 16
        }
        if i + 8 <= n {
            let d0 =
                UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
                - UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            acc0 += d0 * d0
            i += 8
        }
        if i < n && n >= 8 {
            // The last partial chunk as the eight floats that end the row, the lanes
            // already counted zeroed: no scalar tail, and no read past the row.
            let d =
                UnsafeRawPointer(a + n - 8).loadUnaligned(as: SIMD8<Float>.self)
                - UnsafeRawPointer(b + n - 8).loadUnaligned(as: SIMD8<Float>.self)
            let fresh = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7) .>= SIMD8<Int32>(repeating: Int32(8 - (n - i)))
            let kept = SIMD8<Float>().replacing(with: d, where: fresh)
            acc1 += kept * kept
            i = n
        }
        var s = (acc0 + acc1).sum()
        while i < n { let d = a[i] - b[i]; s += d * d; i += 1 }
        return s
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
