import Foundation
import Testing
@testable import VicinityMath

@Suite struct ElementwiseTests {
    @Test func expMatchesLibmToAFewUlp() {
        var x = stride(from: Float(-80), through: 80, by: 0.013).map { $0 }
        let reference = x.map { Foundation.exp(Double($0)) }
        x.withUnsafeMutableBufferPointer { Elementwise.exp($0) }
        for (got, want) in zip(x, reference) {
            #expect(abs(Double(got) - want) / want < 5e-7)
        }
    }

    @Test func extremeInputsStayFinite() {
        var x: [Float] = [-1e30, -1000, -88, 0, 88, 1000, 1e30, -.infinity, .infinity]
        var e = x, l = x, s = x
        e.withUnsafeMutableBufferPointer { Elementwise.exp($0) }
        l.withUnsafeMutableBufferPointer { Elementwise.logistic($0) }
        s.withUnsafeMutableBufferPointer { Elementwise.softplus($0) }
        #expect(e.allSatisfy { $0.isFinite && $0 >= 0 })
        #expect(l.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 })
        #expect(l[0] == 0 || l[0] < 1e-30)
        #expect(l[6] == 1)
        #expect(s[5] == 1000 && s[1] >= 0 && s[1] < 1e-30)
        x = [0, -1, 1e-45, 1]
        x.withUnsafeMutableBufferPointer { Elementwise.log($0) }
        #expect(x.allSatisfy { $0.isFinite })
        #expect(x[3] == 0)
    }

    @Test func logisticAndSoftplusMatchDefinitions() {
        var rng = SeededRNG(seed: 11)
        let x = (0..<1003).map { _ in rng.uniform(-20, 20) }  // odd length exercises the tail
        var l = x, s = x
        l.withUnsafeMutableBufferPointer { Elementwise.logistic($0) }
        s.withUnsafeMutableBufferPointer { Elementwise.softplus($0) }
        for i in x.indices {
            let xd = Double(x[i])
            #expect(abs(Double(l[i]) - 1 / (1 + Foundation.exp(-xd))) < 1e-6)
            #expect(abs(Double(s[i]) - Foundation.log(1 + Foundation.exp(xd))) < 1e-5)
        }
    }
}
