import Foundation
import Testing
@testable import VicinityData
@_exported import VicinityTestSupport

/// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
func pseudoRandomBytes(_ n: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
    var s = seed
    return (0..<n).map { _ in
        s ^= s << 13; s ^= s >> 7; s ^= s << 17
        return UInt8(truncatingIfNeeded: s >> 24)
    }
}

func rawBytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// Runs `body`, requires it to throw a DataError, and returns it.
func expectDataError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> DataError? {
    do {
        try body()
        Issue.record("expected a DataError, nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let e as DataError {
        return e
    } catch {
        Issue.record("expected a DataError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
