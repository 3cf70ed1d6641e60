import VicinityProtocol
import Synchronization
import VicinityMath
import VicinitySearch
import VicinityStore

/// One client vector set: exact cosine similarity over the normalised vectors,
/// as Redis vector sets score it (similarity = 1 − (1 − cos)/2), with the
/// vectors as given kept for VEMB.
public struct VectorSet: Sendable {
    public let dims: Int
    public private(set) var elements: [String] = []
    var rowOf: [String: Int] = [:]
    /// Unit vectors (a zero vector stays zero), scored by inner product.
    var index: FlatIndex
    /// The vectors as given.
    var originals: [[Float]] = []
    var attributes: [String?] = []
    /// Stable for the set's life (VINFO's vset-uid).
    public let uid: Int

    init(dims: Int, uid: Int) {
        self.dims = dims
        self.uid = uid
        index = FlatIndex(dims: dims, metric: .innerProduct)
    }

    public var count: Int { elements.count }

    /// Adds or replaces an element; true when it is new.
    @discardableResult
    mutating func put(_ element: String, _ vector: [Float], attributes: String??) -> Bool {
        if let row = rowOf[element] {
            let kept = attributes ?? self.attributes[row]
            remove(element)
            put(element, vector, attributes: .some(kept))
            return false
        }
        rowOf[element] = elements.count
        elements.append(element)
        originals.append(vector)
        self.attributes.append(attributes ?? nil)
        index.add(Matrix(rows: 1, cols: dims, storage: Self.unit(vector)))
        return true
    }

    /// Removes an element; the last row moves into its place (as the index does).
    @discardableResult
    mutating func remove(_ element: String) -> Bool {
        guard let row = rowOf.removeValue(forKey: element) else { return false }
        let last = elements.count - 1
        index.removeSwappingLast(row)
        if row != last {
            elements[row] = elements[last]
            originals[row] = originals[last]
            attributes[row] = attributes[last]
            rowOf[elements[row]] = row
        }
        elements.removeLast()
        originals.removeLast()
        attributes.removeLast()
        return true
    }

    func vector(of element: String) -> [Float]? { rowOf[element].map { originals[$0] } }
    func attributes(of element: String) -> String?? { rowOf[element].map { attributes[$0] } }

    mutating func setAttributes(_ element: String, _ json: String?) -> Bool {
        guard let row = rowOf[element] else { return false }
        attributes[row] = json
        return true
    }

    /// The `count` most similar elements (of those a filter expression matches), most
    /// similar first, with Redis's similarity score.
    func similar(to query: [Float], count: Int, filter: String? = nil) throws -> [(element: String, score: Double)] {
        let unit = Self.unit(query)
        let hits: [Neighbor]
        if let filter {
            let expression: FilterExpression
            do { expression = try FilterExpression.parse(filter) } catch { throw EngineError("BADARG", "\(error)") }
            let parsed = attributes.map { $0.flatMap(parseAttributes) }
            let rows = RowFilter(rowCount: elements.count) { row in expression.matches { parsed[row]?[$0] } }
            hits = index.searchOne(unit, k: count, among: rows.members)
        } else {
            hits = index.searchOne(unit, k: count, threads: 1)
        }
        return hits.map { n in (elements[n.index], 1 - Double(1 + n.distance) / 2) }  // distance is −cos
    }

    /// The vector scaled to length 1; a zero vector stays zero, as Redis leaves it.
    static func unit(_ v: [Float]) -> [Float] {
        let norm = l2(v)
        return norm > 0 ? v.map { $0 / norm } : v
    }

    static func l2(_ v: [Float]) -> Float { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
}

/// The vector sets clients made with VADD, kept in memory for search and, when
/// a store backs them, in its `vsets` database (durable before each reply).
public final class VectorSets: Sendable {
    private struct Catalog: Sendable {
        var sets: [String: VectorSet] = [:]
        var nextUID = 1
    }
    private let catalog = Mutex(Catalog())
    private let writer = Mutex(())
    private let store: CodeStore?

    /// Sets held in memory only (tests, stores opened read-only).
    public init() { store = nil }

    /// Loads every set the store holds.
    public init(store: CodeStore) throws {
        self.store = store
        var c = Catalog()
        for e in try store.setElements() {
            if c.sets[e.set] == nil {
                c.sets[e.set] = VectorSet(dims: e.vector.count, uid: c.nextUID)
                c.nextUID += 1
            }
            guard c.sets[e.set]!.dims == e.vector.count else {
                throw StoreError.corrupt(
                    path: store.path,
                    detail: "vector set \(e.set) mixes \(c.sets[e.set]!.dims)- and \(e.vector.count)-D elements")
            }
            c.sets[e.set]!.put(e.element, e.vector, attributes: .some(e.attributes))
        }
        catalog.withLock { $0 = c }
    }

    public var names: [String] { catalog.withLock { $0.sets.keys.sorted() } }

    /// A consistent copy of one set (copy-on-write: no vectors are copied).
    public func set(_ name: String) -> VectorSet? { catalog.withLock { $0.sets[name] } }

    /// Adds or replaces an element (a new name makes a new set); true when the element is new.
    /// `attributes`: nil keeps the element's attributes, .some(nil) removes them.
    public func add(_ name: String, element: String, vector: [Float], attributes: String??) throws -> Bool {
        guard !name.utf8.contains(0), name.utf8.count + element.utf8.count <= 500, !element.isEmpty else {
            throw EngineError(
                "BADARG", "key and element must be non-empty, without NUL bytes, and at most 500 bytes together")
        }
        return try writer.withLock { _ in
            var set = self.set(name) ?? VectorSet(dims: vector.count, uid: catalog.withLock { $0.nextUID })
            guard set.dims == vector.count else {
                throw EngineError("BADARG", "Vector dimension mismatch - got \(vector.count) but set has \(set.dims)")
            }
            let kept = attributes ?? set.attributes(of: element) ?? nil
            try store?.putSetElement(StoredSetElement(set: name, element: element, vector: vector, attributes: kept))
            let added = set.put(element, vector, attributes: .some(kept))
            publish(name, set)
            return added
        }
    }

    /// Removes an element; the set goes when its last element does (as in Redis).
    public func remove(_ name: String, element: String) throws -> Bool {
        try writer.withLock { _ in
            guard var set = self.set(name), set.rowOf[element] != nil else { return false }
            try store?.deleteSetElement(set: name, element: element)
            set.remove(element)
            publish(name, set.count == 0 ? nil : set)
            return true
        }
    }

    public func setAttributes(_ name: String, element: String, _ json: String?) throws -> Bool {
        try writer.withLock { _ in
            guard var set = self.set(name), let vector = set.vector(of: element) else { return false }
            try store?.putSetElement(StoredSetElement(set: name, element: element, vector: vector, attributes: json))
            _ = set.setAttributes(element, json)
            publish(name, set)
            return true
        }
    }

    private func publish(_ name: String, _ set: VectorSet?) {
        catalog.withLock {
            if set != nil && $0.sets[name] == nil { $0.nextUID += 1 }
            $0.sets[name] = set
        }
    }
}
