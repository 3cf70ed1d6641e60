import Foundation
import Testing
import VicinityData
import VicinityMath
@testable import VicinityLearning

/// Predictive sparse decomposition: its gradients, its inference, and how close its encoder comes to inference.
@Suite struct PSDTests {
    /// A small PSD network (7 inputs, 5 atoms) with non-trivial gains and biases.
    static func smallNetwork(_ rng: inout SeededRNG) -> Network {
        let atoms = Matrix(rows: 5, cols: 7, storage: rng.gaussians(35))
        var n = PSD.network(atoms: atoms, mean: rng.uniforms(7, 0, 0.5), rng: &rng)
        n.layers[0].bias.storage = rng.gaussians(5, std: 0.3)
        for j in 0..<5 { n.layers[1].weights[j, j] = rng.uniform(0.5, 1.5) }
        return n
    }

    @Test func parameterGradientMatchesFiniteDifferences() {
        var rng = SeededRNG(seed: 3)
        let network = Self.smallNetwork(&rng)
        let x = Matrix(rows: 9, cols: 7, storage: rng.uniforms(63))
        let z = Matrix(rows: 9, cols: 5, storage: rng.gaussians(45, std: 0.7))
        let alpha: Float = 0.8
        let analytic = PSD.parameterGradient(network, x: x, codes: z, alpha: alpha).gradients
        var checked = 0
        for l in 0..<3 {
            for isBias in [false, true] {
                let count = isBias ? network.layers[l].bias.count : network.layers[l].weights.count
                for i in 0..<count {
                    // Free parameters only: encoder weights and bias, the gain's diagonal, the dictionary.
                    let free = l == 0 || (l == 1 && !isBias && i % 6 == 0) || (l == 2 && !isBias)
                    let exact = isBias ? analytic.layers[l].bias.storage[i] : analytic.layers[l].weights.storage[i]
                    guard free else {
                        #expect(exact == 0, "layer \(l) \(isBias ? "bias" : "weight") \(i) is fixed")
                        continue
                    }
                    func loss(_ delta: Float) -> Double {
                        var n = network
                        if isBias {
                            n.layers[l].bias.storage[i] += delta
                        } else {
                            n.layers[l].weights.storage[i] += delta
                        }
                        return Double(PSD.parameterGradient(n, x: x, codes: z, alpha: alpha).loss)
                    }
                    let eps: Float = 1e-2
                    let numeric = Float((loss(eps) - loss(-eps)) / Double(2 * eps))
                    #expect(
                        abs(numeric - exact) <= 2e-2 * max(abs(numeric), 0.05),
                        "layer \(l) \(isBias ? "bias" : "weight") \(i): numeric \(numeric), analytic \(exact)")
                    checked += 1
                }
            }
        }
        #expect(checked == 7 * 5 + 5 + 5 + 5 * 7)
    }

    @Test func codeGradientMatchesFiniteDifferences() {
        var rng = SeededRNG(seed: 4)
        let dictionary = Matrix(rows: 6, cols: 8, storage: rng.gaussians(48))
        let coder = SparseCoding(dictionary: dictionary, lambda: 0.3, alpha: 0.7)
        let x = Matrix(rows: 3, cols: 8, storage: rng.gaussians(24))
        let p = Matrix(rows: 3, cols: 6, storage: rng.gaussians(18))
        let z = Matrix(rows: 3, cols: 6, storage: rng.gaussians(18))
        let g = coder.smoothGradient(z, xd: x.multiplied(by: dictionary, transposeOther: true), predictions: p)
        func smooth(_ z: Matrix) -> Double {
            let e = coder.energy(x, codes: z, predictions: p)
            return zip(e.reconstruction, e.prediction).reduce(0) { $0 + Double($1.0 + $1.1) }
        }
        for i in 0..<z.count {
            var up = z, down = z
            up.storage[i] += 1e-2
            down.storage[i] -= 1e-2
            let numeric = Float((smooth(up) - smooth(down)) / 2e-2)
            #expect(
                abs(numeric - g.storage[i]) <= 1e-2 * max(abs(numeric), 0.1), "z \(i): \(numeric) vs \(g.storage[i])")
        }
    }

    /// An overcomplete problem (24 unit-norm atoms in 16-D): ISTA's energy never rises, FISTA in 2000 steps
    /// matches ISTA in 20000, and both satisfy the optimality conditions of the L1 problem.
    @Test func istaAndFISTAReachTheSparseCodingOptimum() {
        var rng = SeededRNG(seed: 11)
        var dictionary = Matrix(rows: 24, cols: 16, storage: rng.gaussians(24 * 16))
        dictionary.normaliseRows()
        let coder = SparseCoding(dictionary: dictionary, lambda: 0.2, alpha: 0)
        let x = Matrix(rows: 8, cols: 16, storage: rng.gaussians(128))
        let zero = Matrix(rows: 8, cols: 24)
        var energies: [Float] = []
        let ista = coder.infer(x, start: zero, iterations: 20000, accelerated: false) { energies.append($0) }
        let rises = zip(energies, energies.dropFirst()).filter { $1 > $0 * (1 + 1e-6) + 1e-6 }.count
        #expect(rises == 0, "ISTA's energy rose \(rises) times")
        let fista = coder.infer(x, start: zero, iterations: 2000)
        func total(_ z: Matrix) -> Float {
            let e = coder.energy(x, codes: z)
            return zip(e.reconstruction, e.sparsity).reduce(0) { $0 + $1.0 + $1.1 }
        }
        #expect(abs(total(ista) - total(fista)) <= 1e-4 * total(ista), "ISTA \(total(ista)), FISTA \(total(fista))")
        let gap = zip(ista.storage, fista.storage).map { abs($0 - $1) }.max()!
        #expect(gap < 1e-2, "codes differ by \(gap)")
        // Optimality: 2Dᵀ(x − Dz) = λ·sign(z) where z ≠ 0, and |·| ≤ λ where z = 0.
        let g = coder.smoothGradient(fista, xd: x.multiplied(by: dictionary, transposeOther: true), predictions: nil)
        for i in 0..<fista.count {
            let (v, gi) = (fista.storage[i], g.storage[i])
            if v != 0 {
                #expect(abs(gi + 0.2 * (v > 0 ? 1 : -1)) < 1e-3, "active code \(i): gradient \(gi)")
            } else {
                #expect(abs(gi) <= 0.2 + 1e-3, "zero code \(i): gradient \(gi)")
            }
        }
        #expect(fista.storage.contains(0) && fista.storage.contains { $0 != 0 })
    }

    static let fashionImages = Dataset.fashionMNISTDefaultDirectory + "/train-images-idx3-ubyte.gz"
    /// The factor the encoder's energy may exceed the optimum's by on held-out images (measured: 1.53×).
    static let energyFactor = 1.75

    /// Trained briefly on 3000 Fashion-MNIST images, the encoder's codes F(x) on 500 held-out images reach a
    /// sparse-coding energy ‖x − m − F(x)·D‖² + λ‖F(x)‖₁ within 1.75× of the optimum FISTA finds (α = 0).
    @Test(.enabled(if: FileManager.default.fileExists(atPath: fashionImages)))
    func encoderCodesComeCloseToTheOptimumOnHeldOutImages() throws {
        let all = try Dataset.load("fashion-mnist", split: .train)
        let training = all.prefix(3000)
        let heldOut = all.features.rows(in: 3000..<3500)
        var s = Recipe.psd.defaults(inputDims: all.dims)
        s.sizes = [all.dims, 128]
        s.epochs = 8
        s.validation = 300
        let model = try Trainer(settings: s, checkpointPath: temporaryPath("psd.ckpt"), resume: false).train(training)
        let lambda = s.psd!.lambda
        let coder = SparseCoding(dictionary: PSD.dictionary(model.network), lambda: lambda, alpha: 0)
        let xc = PSD.centred(heldOut, model.network)
        let codes = model.embed(heldOut)
        let optimum = coder.infer(xc, start: Matrix(rows: 500, cols: 128), iterations: 500)
        func mean(_ z: Matrix) -> Double {
            let e = coder.energy(xc, codes: z)
            return zip(e.reconstruction, e.sparsity).reduce(0) { $0 + Double($1.0 + $1.1) } / 500
        }
        let (encoder, best, none) = (mean(codes), mean(optimum), mean(Matrix(rows: 500, cols: 128)))
        #expect(encoder <= Self.energyFactor * best, "encoder \(encoder), optimum \(best), zero code \(none)")
        #expect(encoder < 0.5 * none, "the encoder should explain most of the images: \(encoder) vs \(none)")
        print("PSD held out: encoder energy \(encoder), optimum \(best) (\(encoder / best)×), zero code \(none)")
    }

    @Test func modelFileRoundTripKeepsTheCodes() throws {
        let data = syntheticDataset(count: 300, dims: 16)
        var s = Recipe.psd.defaults(inputDims: 16)
        s.sizes = [16, 12]
        s.epochs = 3
        s.validation = 50
        let model = try Trainer(settings: s, checkpointPath: temporaryPath("psd-rt.ckpt"), resume: false).train(data)
        #expect(PSD.isPSD(model.network) && model.encoderDepth == 2 && model.outputDims == 12)
        #expect(PSD.dictionary(model.network).rowSquaredNorms().allSatisfy { abs($0 - 1) < 1e-4 })
        let path = temporaryPath("psd.safetensors")
        try model.save(to: path)
        let loaded = try EmbeddingModel.load(from: path)
        #expect(loaded.network == model.network && loaded.record.recipe == "psd")
        #expect(loaded.embed(data.features) == model.embed(data.features))
        // The code is the encoder alone (up to the rounding of another batching).
        let direct = PSD.predict(model.network, data.features)
        #expect(zip(loaded.embed(data.features).storage, direct.storage).allSatisfy { abs($0 - $1) < 1e-5 })
        #expect(loaded.reconstruct(data.features) != nil)
        #expect(loaded.record.figures["heldout_encoder_to_optimum_energy_ratio"] != nil)
    }
}
