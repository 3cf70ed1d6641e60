import Testing
import VicinityMath
@testable import VicinityCodes
import VicinityHashers

/// Correlated Gaussian data in 24-D.
func hashingData(_ n: Int = 800, seed: UInt64 = 3) -> Matrix {
    var rng = SeededRNG(seed: seed)
    let latent = Matrix(rows: n, cols: 24, storage: rng.gaussians(n * 24))
    return latent.multiplied(by: Matrix(rows: 24, cols: 24, storage: rng.gaussians(576)))
}

@Suite struct HasherTests {
    @Test func itqQuantisationLossNeverIncreases() throws {
        let (hasher, losses) = try ITQ.fit(hashingData(), bits: 16, iterations: 30, seed: 1)
        #expect(losses.count == 30)
        for (a, b) in zip(losses, losses.dropFirst()) { #expect(b <= a * (1 + 1e-5)) }
        #expect(losses.last! < losses.first!)
        // The rotation stays orthogonal.
        let r = hasher.rotation
        let gram = r.multiplied(by: r, transposeSelf: true)
        for i in 0..<16 { for j in 0..<16 { #expect(abs(gram[i, j] - (i == j ? 1 : 0)) < 1e-3) } }
    }

    @Test func faissITQUpdateStaysOrthogonalButQuantisesWorse() throws {
        let data = hashingData()
        let standard = try ITQ.fit(data, bits: 16, iterations: 30, seed: 1)
        let faiss = try ITQ.fit(data, bits: 16, iterations: 30, update: .faiss, seed: 1)
        let r = faiss.hasher.rotation
        let gram = r.multiplied(by: r, transposeSelf: true)
        for i in 0..<16 { for j in 0..<16 { #expect(abs(gram[i, j] - (i == j ? 1 : 0)) < 1e-3) } }
        #expect(faiss.losses.last! > standard.losses.last!)
    }

    @Test func lshIsReproducibleBySeedAndBalanced() throws {
        let data = hashingData()
        let a = try RandomHyperplaneLSH.fit(data, bits: 32, seed: 7)
        let b = try RandomHyperplaneLSH.fit(data, bits: 32, seed: 7)
        let c = try RandomHyperplaneLSH.fit(data, bits: 32, seed: 8)
        #expect(a.directions == b.directions && a.thresholds == b.thresholds)
        #expect(a.directions != c.directions)
        // Median thresholds: every bit splits the training data about in half.
        let codes = BinaryCodes(thresholding: a.project(data), at: 0)
        for j in 0..<32 {
            let ones = (0..<codes.count).filter { codes.bit($0, j) }.count
            #expect(abs(ones - data.rows / 2) <= 2)
        }
    }

    @Test func pcaHashAndSpectralHashingGiveCodesOfTheRequestedWidth() throws {
        let data = hashingData()
        let pca = try PCAHash.fit(data, bits: 12)
        let sh = try SpectralHashing.fit(data, bits: 20)
        #expect(pca.project(data).cols == 12 && sh.project(data).cols == 20)
        // The first PCA bit splits along the top principal direction: about balanced around the mean.
        let first = BinaryCodes(thresholding: pca.project(data), at: 0)
        let ones = (0..<first.count).filter { first.bit($0, 0) }.count
        #expect(ones > data.rows / 4 && ones < 3 * data.rows / 4)
    }
}
