import Foundation

/// A dense row-major Float32 matrix: element (i, j) lives at `storage[i * cols + j]`.
///
/// A value type with copy-on-write storage; every operation checks shapes and
/// traps with a message naming both shapes when they disagree.
public struct Matrix: Sendable, Equatable {
    public private(set) var rows: Int
    public private(set) var cols: Int
    /// rows × cols values; write them in place, never resize. No observer checks that: a
    /// `didSet` made `storage.withUnsafeMutableBufferPointer` copy the whole array first
    /// (measured: 17 % of a 1M server start was that copy's page faults).
    public var storage: [Float]

    public init(rows: Int, cols: Int, repeating value: Float = 0) {
        precondition(rows >= 0 && cols >= 0, "Matrix shape must be non-negative, got \(rows)×\(cols)")
        self.rows = rows
        self.cols = cols
        self.storage = [Float](repeating: value, count: rows * cols)
    }

    public init(rows: Int, cols: Int, storage: [Float]) {
        precondition(
            storage.count == rows * cols,
            "Matrix of \(rows)×\(cols) needs \(rows * cols) values, got \(storage.count)")
        self.rows = rows
        self.cols = cols
        self.storage = storage
    }

    /// Builds a matrix from nested rows (tests and small fixtures).
    public init(_ nested: [[Float]]) {
        let cols = nested.first?.count ?? 0
        precondition(nested.allSatisfy { $0.count == cols }, "Matrix rows have different lengths")
        self.init(rows: nested.count, cols: cols, storage: nested.flatMap { $0 })
    }

    public var shape: (rows: Int, cols: Int) { (rows, cols) }
    public var count: Int { storage.count }

    public subscript(row: Int, col: Int) -> Float {
        get {
            precondition(
                row >= 0 && row < rows && col >= 0 && col < cols, "index (\(row), \(col)) outside \(rows)×\(cols)")
            return storage[row * cols + col]
        }
        set {
            precondition(
                row >= 0 && row < rows && col >= 0 && col < cols, "index (\(row), \(col)) outside \(rows)×\(cols)")
            storage[row * cols + col] = newValue
        }
    }

    /// A copy of one row.
    public func row(_ i: Int) -> [Float] {
        precondition(i >= 0 && i < rows, "row \(i) outside 0..<\(rows)")
        return Array(storage[i * cols..<(i + 1) * cols])
    }

    /// A new matrix holding the given rows, in order.
    public func rows(_ indices: some Collection<Int>) -> Matrix {
        var out = Matrix(rows: indices.count, cols: cols)
        storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                for (r, i) in indices.enumerated() {
                    precondition(i >= 0 && i < rows, "row \(i) outside 0..<\(rows)")
                    dst.baseAddress!.advanced(by: r * cols)
                        .update(from: src.baseAddress!.advanced(by: i * cols), count: cols)
                }
            }
        }
        return out
    }

    /// A contiguous block of rows `range`.
    public func rows(in range: Range<Int>) -> Matrix {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "rows \(range) outside 0..<\(rows)")
        return Matrix(
            rows: range.count, cols: cols, storage: Array(storage[range.lowerBound * cols..<range.upperBound * cols]))
    }

    /// The transpose, as a new matrix.
    public var transposed: Matrix {
        var out = Matrix(rows: cols, cols: rows)
        let (r, c) = (rows, cols)
        storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                for i in 0..<r { for j in 0..<c { dst[j * r + i] = src[i * c + j] } }
            }
        }
        return out
    }

    /// Reinterprets the same values with another shape of equal size.
    public func reshaped(rows: Int, cols: Int) -> Matrix {
        Matrix(rows: rows, cols: cols, storage: storage)
    }

    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, cols: n)
        for i in 0..<n { m.storage[i * n + i] = 1 }
        return m
    }
}

extension Matrix: CustomStringConvertible {
    public var description: String {
        let shown = (0..<min(rows, 6)).map { i in
            (0..<min(cols, 8)).map { j in String(format: "%9.4f", Double(self[i, j])) }.joined(separator: " ")
        }
        return "Matrix \(rows)×\(cols)\n" + shown.joined(separator: "\n")
    }
}
