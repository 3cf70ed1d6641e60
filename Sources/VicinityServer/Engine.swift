/// One neighbour in a reply.
public struct Hit: Sendable, Equatable {
    public var id: String
    /// Squared L2 in code space for KNN; the Hamming distance for HAMMING and RADIUS.
    public var distance: Float
    public var label: Int
    public init(id: String, distance: Float, label: Int) {
        self.id = id
        self.distance = distance
        self.label = label
    }
}

/// What GET shows of an item.
public struct ItemView: Sendable, Equatable {
    public var id: String
    public var label: Int
    public var code: [Float]
    /// Packed bits as hex (docs/PROTOCOL.md gives the bit order); empty when the store has no bits.
    public var bitsHex: String
}

/// The query of a KNN request.
public enum VectorQuery: Sendable, Equatable {
    case id(String)
    /// A code, given directly.
    case vector([Float])
    /// Pixels in [0, 1], to be embedded by the served model.
    case raw([Float])
}

/// The query of a HAMMING or RADIUS request.
public enum BitsQuery: Sendable, Equatable {
    case id(String)
    case hex(String)
}

/// A failure the client caused or can act on; becomes `ERR <code> <message>`.
public struct EngineError: Error, Equatable, Sendable {
    public var code: String
    public var message: String
    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }
    public static func notFound(_ id: String) -> EngineError { EngineError("NOTFOUND", "no item with id '\(id)'") }
}

/// Everything the commands need from the data behind the server. Reads must be
/// safe from any thread while a write is in progress (readers never wait on writers).
public protocol SearchEngine: Sendable {
    /// The key that names the served store in vector-set commands (its folder's name).
    var name: String { get }
    var codeDims: Int { get }
    /// INFO fields, in order.
    func info() -> [(String, String)]
    func count() -> Int
    func get(_ id: String) throws -> ItemView?
    func knn(k: Int, query: VectorQuery) throws -> [Hit]
    func hamming(k: Int, query: BitsQuery) throws -> [Hit]
    func radius(_ r: Int, query: BitsQuery) throws -> [Hit]
    /// Durable before it returns.
    func add(id: String, label: Int, pixels: [Float]) throws
    /// Adds an item given by its code (its bits, if the store keeps them, from the model). Durable before it returns.
    func add(id: String, label: Int, code: [Float]) throws
    /// Durable before it returns; false when there was no such id.
    func delete(_ id: String) throws -> Bool
    /// An item's JSON attributes, nil when it has none.
    func attributes(_ id: String) throws -> String?
    /// Sets (nil removes) an item's attributes, durably; false when there is no such item.
    func setAttributes(_ id: String, _ json: String?) throws -> Bool
    func attributeCount() -> Int
    /// `n` random ids: distinct (at most all), or with repeats.
    func randomIDs(_ n: Int, distinct: Bool) -> [String]
}
