/// What a long job tells whoever runs it: notes, and how far through its items it is. The
/// executable draws these (a bar on a terminal, plain lines otherwise); tests record them.
/// Jobs call it from the thread that runs them.
public protocol JobReporter: AnyObject {
    /// A line for the person watching.
    func note(_ message: String)
    /// Items are about to be processed: `total` of them, nil when not known in advance (a stream).
    func itemsBegin(total: Int?)
    /// `count` items turned out to be done already (found stored): the total shrinks by them.
    func itemsSkipped(_ count: Int)
    /// `done` items are processed so far.
    func itemsDone(_ done: Int)
    /// No more items.
    func itemsEnd()
}

extension JobReporter {
    public func itemsBegin(total: Int?) {}
    public func itemsSkipped(_ count: Int) {}
    public func itemsDone(_ done: Int) {}
    public func itemsEnd() {}
}

/// A reporter that drops everything (tests).
final class SilentReporter: JobReporter {
    init() {}
    func note(_ message: String) {}
}
