import VicinityCodes
import VicinityPipeline
import VicinityProtocol

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
    /// The label's class name, when the model records class names.
    public var className: String? = nil
    public var code: [Float]
    /// Packed bits as hex (docs/PROTOCOL.md gives the bit order); empty when the store has no bits.
    public var bitsHex: String

    public init(id: String, label: Int, className: String? = nil, code: [Float], bitsHex: String) {
        (self.id, self.label, self.className, self.code, self.bitsHex) = (id, label, className, code, bitsHex)
    }
}

/// The query of a KNN request.
public enum VectorQuery: Sendable, Equatable {
    case id(String)
    /// The item at this row of the store (0-based, the store's current order).
    case row(Int)
    /// A code, given directly.
    case vector([Float])
    /// Pixels in [0, 1], to be embedded by the served model.
    case raw([Float])
}

/// The query of a HAMMING or RADIUS request.
public enum BitsQuery: Sendable, Equatable {
    case id(String)
    case row(Int)
    case hex(String)
    /// Packed bits as raw bytes, in the hex form's byte order.
    case bytes([UInt8])
}

/// What narrows a search: a filter expression over the items' attributes (and
/// `.label`), and NOSELF, which drops the query item itself.
public struct SearchOptions: Sendable, Equatable {
    public var filter: String?
    public var noSelf = false
    public init(filter: String? = nil, noSelf: Bool = false) {
        self.filter = filter
        self.noSelf = noSelf
    }
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
    func knn(k: Int, query: VectorQuery, options: SearchOptions) throws -> [Hit]
    func hamming(k: Int, query: BitsQuery, options: SearchOptions) throws -> [Hit]
    func radius(_ r: Int, query: BitsQuery, options: SearchOptions) throws -> [Hit]
    /// The items within Hamming radius r of the query's bits, ranked by squared L2 between float
    /// codes (semantic hashing's short list, re-ranked); the first k.
    func shortlist(k: Int, radius: Int, query: VectorQuery, options: SearchOptions) throws -> [Hit]
    /// The served model's encoder (it counts TEXT and makes the bits of RAW, U8 and TEXT queries); nil without one.
    var encoder: ItemEncoder? { get }
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
    /// The codes of several images (pixels in [0, 1]) in one pass; each equals what the
    /// image gets embedded alone. Throws when there is no model or an image has the wrong size.
    func embed(images: [[Float]]) throws -> [[Float]]
    /// `n` random ids: distinct (at most all), or with repeats.
    func randomIDs(_ n: Int, distinct: Bool) -> [String]
    /// A consistent, canonical copy of the store in a new folder (one point in time: every write
    /// acknowledged before it began, none after); returns the items it holds.
    func snapshot(to directory: String) throws -> Int
    /// Bytes the store's files take on disk (the metrics' `vicinity_store_bytes`).
    func storeBytes() -> Int
    /// Whether items may carry attributes; ADD … ATTRS and VADD … SETATTR are refused before the
    /// item is written when not, so a refusal never leaves half a write.
    var supportsAttributes: Bool { get }
}

extension SearchEngine {
    public func storeBytes() -> Int { 0 }
    public var supportsAttributes: Bool { true }
    public func knn(k: Int, query: VectorQuery) throws -> [Hit] {
        try knn(k: k, query: query, options: SearchOptions())
    }
    public func hamming(k: Int, query: BitsQuery) throws -> [Hit] {
        try hamming(k: k, query: query, options: SearchOptions())
    }
    public func radius(_ r: Int, query: BitsQuery) throws -> [Hit] {
        try radius(r, query: query, options: SearchOptions())
    }
}
