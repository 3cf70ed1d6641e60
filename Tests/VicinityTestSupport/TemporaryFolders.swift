import Foundation

/// Temporary folders and paths for tests: each is registered and removed when the test process
/// exits, so a run leaves nothing behind even where a test does not clean up itself.
public func temporaryFolder(_ prefix: String = "vicinity-test") throws -> URL {
    let url = URL(fileURLWithPath: temporaryPath(prefix))
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A fresh path under the system temporary folder (not created), removed at exit.
public func temporaryPath(_ prefix: String = "vicinity-test") -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
    Registry.shared.add(path)
    return path
}

/// A temporary folder with helpers to fill it, removed when released.
public final class TempDir {
    public let url: URL
    public init(_ prefix: String = "vicinity-test") throws { url = try temporaryFolder(prefix) }
    deinit { try? FileManager.default.removeItem(at: url) }

    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    public func mkdir(_ name: String) throws -> String {
        let p = path(name)
        try FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
        return p
    }

    public func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let p = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    public func write(_ name: String, text: String) throws -> String { try write(name, Array(text.utf8)) }
}

private final class Registry: @unchecked Sendable {
    static let shared = Registry()
    private let lock = NSLock()
    private var paths: [String] = []

    private init() {
        atexit { Registry.shared.removeAll() }
    }

    func add(_ path: String) { lock.withLock { paths.append(path) } }

    func removeAll() {
        let all = lock.withLock { paths }
        for p in all { try? FileManager.default.removeItem(atPath: p) }
    }
}
