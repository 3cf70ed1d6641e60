/// A failure a pipeline job reports in one line, worded for the person who ran the command
/// (the executable prints it as it prints its own errors).
public struct PipelineError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
