import Foundation
import VicinityMath

/// A data set of any size made from a small one: item i is base image i mod N, moved by a small
/// random affine warp (shift up to ±`shift` pixels, rotation up to ±`degrees`) and a contrast
/// change (gain 0.8–1.2), with bilinear sampling, then rounded to the nearest of 256 grey
/// levels, so it is exactly what an 8-bit image file of it would hold. Each item draws from its
/// own generator seeded by (seed, i), so any range of items can be made on its own, in any order
/// or partition, with the same pixels: a 10M-item set needs no 7.8 GB of files.
public struct PerturbedImages: Sendable {
    /// The base set's name, labels and shape; its pixels as bytes (a quarter of its floats).
    public let baseName: String
    public let baseLabels: [Int]
    public let rows: Int, cols: Int
    private let basePixels: [UInt8]
    public let count: Int
    public let seed: UInt64
    public var shift: Float = 2
    public var degrees: Float = 10

    public init(base: Dataset, count: Int, seed: UInt64) {
        precondition(base.count > 0 && base.imageChannels == 1, "perturbed images need a grey base set")
        (baseName, baseLabels, rows, cols) = (base.name, base.labels, base.imageRows, base.imageCols)
        basePixels = base.features.storage.map { UInt8(($0 * 255).rounded()) }
        self.count = count
        self.seed = seed
    }

    public var dims: Int { rows * cols }

    /// Ids `p` + the item number, zero-padded to 8 digits (more past 10⁸): byte order = item order.
    public func id(_ item: Int) -> String {
        let digits = String(item)
        return "p" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    /// Items `range` as a data set named `name`, made on every core.
    public func items(_ range: Range<Int>, name: String) -> Dataset {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "items \(range) of \(count)")
        let d = dims
        var pixels = [Float](repeating: 0, count: range.count * d)
        pixels.withUnsafeMutableBufferPointer { out in
            let out = UnsafeSendable(out.baseAddress!)
            let blocks = (range.count + 63) / 64
            parallelFor(blocks) { b in
                for r in (b * 64)..<min(range.count, b * 64 + 64) {
                    render(range.lowerBound + r, into: out.value + r * d)
                }
            }
        }
        return Dataset(
            name: name, features: Matrix(rows: range.count, cols: d, storage: pixels),
            labels: range.map { baseLabels[$0 % baseLabels.count] }, ids: range.map(id), imageRows: rows,
            imageCols: cols)
    }

    /// Writes item `item`'s pixels (values k/255) to `out`.
    func render(_ item: Int, into out: UnsafeMutablePointer<Float>) {
        var rng = SeededRNG(seed: seed ^ (UInt64(item) &* 0x9E37_79B9_7F4A_7C15))
        let dx = rng.uniform(-shift, shift), dy = rng.uniform(-shift, shift)
        let angle = rng.uniform(-degrees, degrees) * .pi / 180
        let gain = rng.uniform(0.8, 1.2)
        let (h, w) = (rows, cols)
        let (cx, cy) = (Float(w - 1) / 2, Float(h - 1) / 2)
        let (c, s) = (Float(cos(Double(angle))), Float(sin(Double(angle))))
        basePixels.withUnsafeBufferPointer { all in
            let src = all.baseAddress! + (item % baseLabels.count) * dims
            // Pixel value at integer (x, y) of the source, 0 outside it.
            @inline(__always) func at(_ x: Int, _ y: Int) -> Float {
                x < 0 || y < 0 || x >= w || y >= h ? 0 : Float(src[y * w + x]) / 255
            }
            for y in 0..<h {
                for x in 0..<w {
                    // Inverse map: the output pixel, un-shifted and un-rotated about the centre.
                    let (ox, oy) = (Float(x) - cx - dx, Float(y) - cy - dy)
                    let sx = c * ox + s * oy + cx, sy = -s * ox + c * oy + cy
                    let (fx, fy) = (sx.rounded(.down), sy.rounded(.down))
                    let (ix, iy) = (Int(fx), Int(fy))
                    let (ax, ay) = (sx - fx, sy - fy)
                    let top = at(ix, iy) * (1 - ax) + at(ix + 1, iy) * ax
                    let bottom = at(ix, iy + 1) * (1 - ax) + at(ix + 1, iy + 1) * ax
                    let v = min(1, max(0, (top * (1 - ay) + bottom * ay) * gain))
                    out[y * w + x] = (v * 255).rounded() / 255
                }
            }
        }
    }
}
