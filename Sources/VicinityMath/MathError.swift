/// Failures of numerical routines that callers can report (not programming errors).
public struct MathError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
