import Foundation
import VicinityMath

/// A CSV file of `label,p1,…,pD` rows.
public struct CSVTable: Sendable {
    /// N×D, in [0, 1] (see `readCSV` for the scaling rule).
    public let features: Matrix
    public let labels: [Int]
    /// Whether the first line was taken as a header and skipped.
    public let hadHeader: Bool
    /// Whether the values were divided by 255 (false: they were already ≤ 1).
    public let scaledFrom255: Bool
}

/// Reads `label,p1,…,pD` rows (gzip-compressed or not).
///
/// - A first line whose first field is not a number is a header and skipped.
/// - Blank lines are skipped; `\r\n` line ends are accepted.
/// - Labels are integers (-1 = unknown). Pixels are decimal numbers in 0…255.
/// - Scaling rule: if every pixel in the file is ≤ 1 the values are taken to
///   be in [0, 1] already and kept; otherwise every pixel is divided by 255.
///   (So a file of only 0/1 values counts as already scaled.)
/// - Every row must have the same number of columns as the first data row.
/// Errors name the file, the 1-based line and the 1-based column (the label
/// is column 1).
public func readCSV(_ path: String) throws -> CSVTable {
    let bytes = try readFileBytes(path)
    var values: [Float] = []
    var labels: [Int] = []
    var columns = 0
    var hadHeader = false
    var maxValue: Double = 0

    try bytes.withUnsafeBufferPointer { buf in
        let end = buf.count
        var pos = 0
        var line = 0
        var sawData = false
        while pos < end {
            line += 1
            var lineEnd = pos
            while lineEnd < end && buf[lineEnd] != 0x0A { lineEnd += 1 }
            let next = lineEnd + 1
            var stop = lineEnd
            if stop > pos && buf[stop - 1] == 0x0D { stop -= 1 }
            defer { pos = next }
            var p = pos
            skipBlanks(buf, &p, stop)
            if p == stop { continue }  // blank line

            if !sawData && !hadHeader && parseNumber(buf, pos, stop) == nil {
                hadHeader = true
                continue
            }
            let (label, column) = try parseCSVRow(
                buf, pos, stop, line: line, path: path, into: &values, maxValue: &maxValue)
            labels.append(label)
            if !sawData {
                columns = column
                guard columns >= 2 else {
                    throw DataError.badCSV(
                        path: path, line: line, column: 2, detail: "a row needs a label and at least one pixel")
                }
                values.reserveCapacity(columns * max(1, end / max(1, next - pos)))
                sawData = true
            } else if column != columns {
                throw DataError.badCSV(
                    path: path, line: line, column: min(column, columns) + 1,
                    detail:
                        "expected \(columns) columns (label + \(columns - 1) pixels) like the first row, found \(column)"
                )
            }
        }
    }
    let scaled = maxValue > 1
    if scaled {
        values.withUnsafeMutableBufferPointer { v in
            for i in v.indices { v[i] /= 255 }
        }
    }
    let d = max(0, columns - 1)
    return CSVTable(
        features: Matrix(rows: labels.count, cols: d, storage: values),
        labels: labels, hadHeader: hadHeader, scaledFrom255: scaled)
}

/// One data row from `pos` to `stop`: its label, and its pixels appended to `values`; returns the
/// label and the row's column count (label included).
private func parseCSVRow(
    _ buf: UnsafeBufferPointer<UInt8>, _ pos: Int, _ stop: Int, line: Int, path: String,
    into values: inout [Float], maxValue: inout Double
) throws -> (label: Int, columns: Int) {
    var column = 1
    guard let (label, afterLabel) = parseNumber(buf, pos, stop) else {
        throw DataError.badCSV(
            path: path, line: line, column: 1, detail: "expected an integer label, found '\(fieldText(buf, pos, stop))'"
        )
    }
    guard label == label.rounded(), abs(label) < 1e9 else {
        throw DataError.badCSV(
            path: path, line: line, column: 1, detail: "label '\(fieldText(buf, pos, stop))' is not an integer")
    }
    var p = afterLabel
    while p < stop {
        p += 1  // the comma
        column += 1
        guard let (v, after) = parseNumber(buf, p, stop) else {
            throw DataError.badCSV(
                path: path, line: line, column: column, detail: "expected a number, found '\(fieldText(buf, p, stop))'")
        }
        guard v >= 0 && v <= 255 else {
            throw DataError.badCSV(
                path: path, line: line, column: column,
                detail: "pixel value \(fieldText(buf, p, stop)) is outside 0…255")
        }
        if v > maxValue { maxValue = v }
        values.append(Float(v))
        p = after
    }
    return (Int(label), column)
}

@inline(__always)
private func skipBlanks(_ b: UnsafeBufferPointer<UInt8>, _ p: inout Int, _ stop: Int) {
    while p < stop && (b[p] == 0x20 || b[p] == 0x09) { p += 1 }
}

/// The field starting at `p`, for error messages.
private func fieldText(_ b: UnsafeBufferPointer<UInt8>, _ p: Int, _ stop: Int) -> String {
    var e = p
    while e < stop && b[e] != UInt8(ascii: ",") { e += 1 }
    return String(decoding: UnsafeBufferPointer(rebasing: b[p..<e]), as: UTF8.self)
        .trimmingCharacters(in: .whitespaces)
}

/// Exact powers of ten; dividing or multiplying by them rounds correctly
/// for mantissas below 2^53, which covers ordinary pixel values.
private let powersOfTen: [Double] = (0...22).map { pow(10, Double($0)) }

/// Parses one numeric field `[+-]digits[.digits][e[+-]digits]` with
/// optional blanks around it; returns the value and the index of the comma
/// or line end after it, or nil if the field is anything else.
/// Hand-written because Double(String) per cell is far too slow for 47M cells.
private func parseNumber(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ stop: Int) -> (Double, Int)? {
    var p = start
    skipBlanks(b, &p, stop)
    var negative = false
    if p < stop && (b[p] == UInt8(ascii: "-") || b[p] == UInt8(ascii: "+")) {
        negative = b[p] == UInt8(ascii: "-")
        p += 1
    }
    var mantissa: UInt64 = 0
    var digits = 0, exponent = 0
    while p < stop, b[p] &- 0x30 < 10 {
        if mantissa < 1_000_000_000_000_000_000 {
            mantissa = mantissa * 10 + UInt64(b[p] &- 0x30)
        } else {
            exponent += 1
        }
        digits += 1
        p += 1
    }
    if p < stop && b[p] == UInt8(ascii: ".") {
        p += 1
        while p < stop, b[p] &- 0x30 < 10 {
            if mantissa < 1_000_000_000_000_000_000 { mantissa = mantissa * 10 + UInt64(b[p] &- 0x30); exponent -= 1 }
            digits += 1
            p += 1
        }
    }
    if digits == 0 { return nil }
    if p < stop && (b[p] == UInt8(ascii: "e") || b[p] == UInt8(ascii: "E")) {
        p += 1
        var expNegative = false
        if p < stop && (b[p] == UInt8(ascii: "-") || b[p] == UInt8(ascii: "+")) {
            expNegative = b[p] == UInt8(ascii: "-")
            p += 1
        }
        var e = 0, expDigits = 0
        while p < stop, b[p] &- 0x30 < 10 {
            if e < 10_000 { e = e * 10 + Int(b[p] &- 0x30) }
            expDigits += 1
            p += 1
        }
        if expDigits == 0 { return nil }
        exponent += expNegative ? -e : e
    }
    skipBlanks(b, &p, stop)
    if p < stop && b[p] != UInt8(ascii: ",") { return nil }
    var value = Double(mantissa)
    if exponent > 0 {
        value *= exponent <= 22 ? powersOfTen[exponent] : pow(10, Double(exponent))
    } else if exponent < 0 {
        value /= -exponent <= 22 ? powersOfTen[-exponent] : pow(10, Double(-exponent))
    }
    return (negative ? -value : value, p)
}
