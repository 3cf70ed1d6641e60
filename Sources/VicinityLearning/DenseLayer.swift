import VicinityMath

/// A fully connected layer y = f(x·W + b) on whole mini-batches.
/// Shapes: x B×I, W I×O, b 1×O, y B×O.
public struct DenseLayer: Sendable, Equatable {
    public var weights: Matrix
    public var bias: Matrix
    public var activation: Activation

    public init(weights: Matrix, bias: Matrix, activation: Activation) {
        precondition(
            bias.rows == 1 && bias.cols == weights.cols,
            "DenseLayer: bias is \(bias.rows)×\(bias.cols), weights are \(weights.rows)×\(weights.cols)")
        self.weights = weights
        self.bias = bias
        self.activation = activation
    }

    /// Small Gaussian weights (std `scale`, default 1/√inputs) and zero biases.
    public init(inputs: Int, outputs: Int, activation: Activation, scale: Float? = nil, rng: inout SeededRNG) {
        let std = scale ?? 1 / Float(inputs).squareRoot()
        self.init(
            weights: Matrix(rows: inputs, cols: outputs, storage: rng.gaussians(inputs * outputs, std: std)),
            bias: Matrix(rows: 1, cols: outputs), activation: activation)
    }

    public var inputs: Int { weights.rows }
    public var outputs: Int { weights.cols }

    /// z = x·W + b (before the nonlinearity). `serial`: on this thread, through the fixed-order
    /// product, so a row's result does not depend on the other rows or its place among them.
    public func preActivation(_ x: Matrix, serial: Bool = false) -> Matrix {
        precondition(x.cols == inputs, "DenseLayer: input has \(x.cols) columns, layer takes \(inputs)")
        if serial { return Matrix.fixedOrderProduct(x, weights, bias: bias.storage) }
        var z = Matrix(rows: x.rows, cols: outputs)
        z.addToRows(bias.storage)
        Matrix.gemm(x, .none, weights, .none, beta: 1, serial: serial, into: &z)
        return z
    }

    /// y = f(x·W + b); `serial` as for `preActivation`.
    public func forward(_ x: Matrix, serial: Bool = false) -> Matrix {
        var y = preActivation(x, serial: serial)
        activation.apply(&y)
        return y
    }

    /// Backward pass. `gradient` is ∂L/∂y, or ∂L/∂z when `preActivation` is true
    /// (the cross-entropy and squared-error output shortcuts give ∂L/∂z = ŷ − x).
    /// Adds ∂L/∂W and ∂L/∂b into `grads`; returns ∂L/∂x when asked.
    @discardableResult
    public func backward(
        input x: Matrix, output y: Matrix, gradient: Matrix, preActivation: Bool = false,
        into grads: inout DenseLayer, inputGradient: Bool = true
    ) -> Matrix? {
        var dz = gradient
        if !preActivation { activation.backpropagate(&dz, outputs: y) }
        Matrix.gemm(x, .transposed, dz, .none, beta: 1, into: &grads.weights)  // dW += xᵀ·dz
        let ones = [Float](repeating: 1, count: dz.rows)
        let db = dz.multiplied(by: ones, transposed: true)  // db += dzᵀ·1
        grads.bias.storage.withUnsafeMutableBufferPointer { g in
            for j in 0..<db.count { g[j] += db[j] }
        }
        guard inputGradient else { return nil }
        return dz.multiplied(by: weights, transposeOther: true)  // dx = dz·Wᵀ
    }

    /// A layer of the same shape with zero weights and biases, used to hold gradients.
    public var zeroed: DenseLayer {
        DenseLayer(
            weights: Matrix(rows: inputs, cols: outputs), bias: Matrix(rows: 1, cols: outputs), activation: activation)
    }
}
