/// A learning-library failure to report to the user.
public struct LearningError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
