import VicinityMath

/// Random-hyperplane LSH in the variant faiss's IndexLSH(rotate_data, train_thresholds)
/// uses: project onto random orthonormal directions, then threshold each direction
/// at its median over the training data (so each bit splits the data in half).
public struct RandomHyperplaneLSH: BinaryHasher {
    public let directions: Matrix  // bits×D
    public let thresholds: [Float]  // bits
    public var kind: String { "lsh" }
    public var bits: Int { directions.rows }
    public var inputDims: Int { directions.cols }

    public init(directions: Matrix, thresholds: [Float]) {
        precondition(thresholds.count == directions.rows, "LSH: one threshold per direction")
        self.directions = directions
        self.thresholds = thresholds
    }

    public static func fit(_ data: Matrix, bits: Int, seed: UInt64) throws -> RandomHyperplaneLSH {
        guard bits >= 1 else { throw MathError("LSH needs at least 1 bit") }
        var rng = SeededRNG(seed: seed)
        let directions = try randomOrthonormalRows(bits, data.cols, rng: &rng)
        let p = data.multiplied(by: directions, transposeOther: true).transposed  // bits×N
        let medians = (0..<bits).map { j -> Float in
            var column = p.row(j)
            column.sort()
            return column.isEmpty ? 0 : column[column.count / 2]
        }
        return RandomHyperplaneLSH(directions: directions, thresholds: medians)
    }

    public func project(_ x: Matrix) -> Matrix {
        var p = x.multiplied(by: directions, transposeOther: true)
        p.addToRows(thresholds, scaledBy: -1)
        return p
    }

}
