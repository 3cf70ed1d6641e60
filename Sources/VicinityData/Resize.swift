/// Resampling of 8-bit bitmaps, one axis at a time: area averaging along an axis that shrinks
/// (each output pixel is the mean of the source area it covers, partial pixels weighted by
/// their overlap), bilinear interpolation with pixel centres aligned along one that grows
/// (edge pixels repeated), a copy along one that keeps its size. Sums are kept in Float between
/// the two passes and rounded once at the end.
extension Bitmap {
    public func resized(width newWidth: Int, height newHeight: Int) -> Bitmap {
        precondition(newWidth >= 1 && newHeight >= 1, "resize to \(newWidth)×\(newHeight)")
        if newWidth == width && newHeight == height { return self }
        let c = channels
        let across = ResampleTaps(from: width, to: newWidth), down = ResampleTaps(from: height, to: newHeight)
        // Horizontal pass: height × newWidth × c floats.
        var mid = [Float](repeating: 0, count: height * newWidth * c)
        pixels.withUnsafeBufferPointer { src in
            mid.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height {
                    let row = src.baseAddress! + y * width * c, out = dst.baseAddress! + y * newWidth * c
                    for x in 0..<newWidth {
                        let first = across.first[x], taps = across.count[x], w = across.weightStart[x]
                        for k in 0..<c {
                            var s: Float = 0
                            for t in 0..<taps { s += across.weights[w + t] * Float(row[(first + t) * c + k]) }
                            out[x * c + k] = s
                        }
                    }
                }
            }
        }
        var out = [UInt8](repeating: 0, count: newHeight * newWidth * c)
        let rowLength = newWidth * c
        mid.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                var acc = [Float](repeating: 0, count: rowLength)
                for y in 0..<newHeight {
                    for i in 0..<rowLength { acc[i] = 0 }
                    let first = down.first[y], taps = down.count[y], w = down.weightStart[y]
                    for t in 0..<taps {
                        let weight = down.weights[w + t], row = src.baseAddress! + (first + t) * rowLength
                        for i in 0..<rowLength { acc[i] += weight * row[i] }
                    }
                    let o = dst.baseAddress! + y * rowLength
                    for i in 0..<rowLength { o[i] = UInt8(min(255, max(0, acc[i] + 0.5))) }
                }
            }
        }
        return Bitmap(width: newWidth, height: newHeight, channels: c, pixels: out)
    }
}

/// For each output position along one axis: the first source pixel, how many follow, and their weights.
struct ResampleTaps {
    var first: [Int] = [], count: [Int] = [], weightStart: [Int] = [], weights: [Float] = []

    init(from n: Int, to m: Int) {
        for j in 0..<m {
            weightStart.append(weights.count)
            if m == n {
                first.append(j); count.append(1); weights.append(1)
            } else if m < n {
                // Area: output pixel j covers [j·n/m, (j+1)·n/m) in source pixels.
                let lo = Double(j) * Double(n) / Double(m), hi = Double(j + 1) * Double(n) / Double(m)
                let i0 = Int(lo), i1 = min(n, Int(hi.rounded(.up)))
                first.append(i0); count.append(i1 - i0)
                for i in i0..<i1 {
                    let overlap = min(hi, Double(i + 1)) - max(lo, Double(i))
                    weights.append(Float(overlap * Double(m) / Double(n)))
                }
            } else {
                // Bilinear: output centre j+½ sits at source coordinate (j+½)·n/m − ½.
                let u = (Double(j) + 0.5) * Double(n) / Double(m) - 0.5
                if u <= 0 { first.append(0); count.append(1); weights.append(1); continue }
                if u >= Double(n - 1) { first.append(n - 1); count.append(1); weights.append(1); continue }
                let i0 = Int(u), f = u - Double(i0)
                first.append(i0); count.append(2)
                weights.append(Float(1 - f)); weights.append(Float(f))
            }
        }
    }
}
