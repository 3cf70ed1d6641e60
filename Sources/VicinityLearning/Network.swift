import VicinityMath

/// A feed-forward stack of dense layers.
public struct Network: Sendable, Equatable {
    public var layers: [DenseLayer]

    public init(layers: [DenseLayer]) {
        for (a, b) in zip(layers, layers.dropFirst()) {
            precondition(
                a.outputs == b.inputs, "Network: a layer with \(a.outputs) outputs feeds one with \(b.inputs) inputs")
        }
        self.layers = layers
    }

    /// Layers of the given sizes, e.g. [784, 500, 500, 2000, 30], hidden units
    /// `hidden` and the last layer `output`.
    public init(sizes: [Int], hidden: Activation, output: Activation, rng: inout SeededRNG) {
        precondition(sizes.count >= 2, "Network needs at least an input and an output size")
        var layers: [DenseLayer] = []
        for i in 0..<(sizes.count - 1) {
            let act = i == sizes.count - 2 ? output : hidden
            layers.append(DenseLayer(inputs: sizes[i], outputs: sizes[i + 1], activation: act, rng: &rng))
        }
        self.init(layers: layers)
    }

    public var inputDims: Int { layers.first?.inputs ?? 0 }
    public var outputDims: Int { layers.last?.outputs ?? 0 }
    public var sizes: [Int] { layers.isEmpty ? [] : [inputDims] + layers.map(\.outputs) }
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.weights.count + $1.bias.count } }

    public func forward(_ x: Matrix) -> Matrix { forward(x, layers: layers.indices) }

    /// The output of a contiguous run of layers, e.g. the encoder half of an autoencoder.
    public func forward(_ x: Matrix, layers range: Range<Int>, serial: Bool = false) -> Matrix {
        layers[range].reduce(x) { $1.forward($0, serial: serial) }
    }

    /// The outputs of the layers in `range`, with their input first: [x, h1, …, y].
    public func activations(_ x: Matrix, layers range: Range<Int>? = nil) -> [Matrix] {
        var out = [x]
        for layer in layers[range ?? layers.indices] { out.append(layer.forward(out.last!)) }
        return out
    }

    /// Backward through the layers in `range` (all by default). `activations` comes
    /// from `activations(_:layers:)` over the same range; `gradient` is ∂L/∂y (or ∂L/∂z
    /// of the last layer when `preActivation`). Adds into `grads` and returns ∂L/∂x when asked.
    @discardableResult
    public func backward(
        activations: [Matrix], gradient: Matrix, preActivation: Bool = false,
        layers range: Range<Int>? = nil, into grads: inout Network, inputGradient: Bool = false
    ) -> Matrix? {
        let range = range ?? layers.indices
        precondition(activations.count == range.count + 1, "backward needs the activations of every layer in the range")
        var g = gradient
        var pre = preActivation
        for l in range.reversed() {
            let needInput = l > range.lowerBound || inputGradient
            let a = l - range.lowerBound
            // Turn ∂L/∂y into ∂L/∂z in place here: g is owned by this loop, so no copy is made.
            if !pre { layers[l].activation.backpropagate(&g, outputs: activations[a + 1]) }
            guard
                let dx = layers[l].backward(
                    input: activations[a], output: activations[a + 1], gradient: g,
                    preActivation: true, into: &grads.layers[l], inputGradient: needInput)
            else { return nil }
            g = dx
            pre = false
        }
        return g
    }

    /// A network of the same shape holding zeros: the gradient accumulator.
    public var zeroed: Network { Network(layers: layers.map(\.zeroed)) }
}
