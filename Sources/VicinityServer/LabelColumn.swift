/// The served rows' labels in one byte each: class numbers are small, so a label in −1...253
/// is stored as label + 1, and the rare other one (ADD takes up to Int32.max) sits in a side
/// table behind the byte 255. 10M labels: 10 MB, where `[Int32]` took 40.
struct LabelColumn: Sendable {
    private var bytes: [UInt8] = []
    private var large: [Int32: Int] = [:]
    private static let escape = UInt8.max

    init<S: Sequence<Int>>(_ labels: S) {
        for label in labels { append(label) }
    }

    var count: Int { bytes.count }

    subscript(row: Int) -> Int {
        let b = bytes[row]
        return b == Self.escape ? large[Int32(row)]! : Int(b) - 1
    }

    mutating func append(_ label: Int) {
        if label >= -1 && label < Int(Self.escape) - 1 {
            bytes.append(UInt8(label + 1))
        } else {
            large[Int32(bytes.count)] = label
            bytes.append(Self.escape)
        }
    }

    /// Removes `row`, moving the last row into its place (as the store does on DEL).
    mutating func removeSwappingLast(_ row: Int) {
        let last = bytes.count - 1
        let moved = large.removeValue(forKey: Int32(last))
        large[Int32(row)] = nil
        if row != last {
            bytes[row] = bytes[last]
            large[Int32(row)] = moved
        }
        bytes.removeLast()
    }
}
