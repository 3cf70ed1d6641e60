import Testing
import VicinityMath
@testable import VicinitySearch

/// The shape codes (ClusteredFlatIndex+Shape): every member's coordinates lie in the cells its
/// codes name, after a build and after rows are added and removed; the bound a query gets
/// from them never exceeds its true squared distance; and answers stay a flat scan's.
@Suite struct ShapeBoundTests {
    /// The cells a member's two plane bytes name, as (low, high) per coordinate.
    static func cells(_ c: ClusteredFlatIndex.Cluster, slot s: Int) -> [(Float, Float)] {
        let n = c.rows.count
        let codes = [Int(c.shape[s]), Int(c.shape[n + s] & 15), Int(c.shape[n + s] >> 4)]
        let low: [Float] = [c.shapeLow.0, c.shapeLow.1, c.shapeLow.2]
        let width: [Float] = [c.shapeWidth.0, c.shapeWidth.1, c.shapeWidth.2]
        return (0..<3).map { i -> (Float, Float) in
            let edge = low[i] + Float(codes[i]) * width[i]
            return (edge, edge + width[i])
        }
    }

    static func expectCodesHold(_ index: ClusteredFlatIndex) {
        for (j, c) in index.clusters.enumerated() where !c.rows.isEmpty {
            #expect(c.shape.count == 2 * c.rows.count && c.shapeUsable)
            let centre = index.centres.row(j)
            for s in 0..<c.rows.count {
                let v = Array(c.vector(slot: s, dims: index.dims))
                let x = v.withUnsafeBufferPointer { x in
                    centre.withUnsafeBufferPointer { m in
                        c.axes.withUnsafeBufferPointer { a in
                            ClusteredFlatIndex.shapeCoordinates(
                                x.baseAddress!, centre: m.baseAddress!, axes: a.baseAddress!, dims: index.dims)
                        }
                    }
                }
                let tolerance = 1e-5 * Double(c.radius + 1)
                for (value, cell) in zip([x.0, x.1, x.2], cells(c, slot: s)) {
                    #expect(value >= Double(cell.0) - tolerance && value <= Double(cell.1) + tolerance)
                }
            }
        }
    }

    /// What `candidates` compares against the k-th distance, for one query and member.
    static func bound(_ index: ClusteredFlatIndex, _ q: [Float], cluster j: Int, slot s: Int) -> Float {
        let view = index.views[j], c = index.clusters[j]
        let toCentre = index.squaredDistance(q, centreRow: j).squareRoot()
        let shaped = q.withUnsafeBufferPointer { q in
            index.centres.storage.withUnsafeBufferPointer { m in
                ClusteredFlatIndex.queryShape(
                    q.baseAddress!, centre: m.baseAddress! + j * index.dims, view, dims: index.dims, toCentre: toCentre)
            }
        }
        guard shaped.usable else { return 0 }
        let v = [shaped.coordinates.0, shaped.coordinates.1, shaped.coordinates.2]
        return zip(v, cells(c, slot: s)).reduce(0) { sum, p in
            let g = max(max(p.1.0 - p.0, p.0 - p.1.1) - shaped.slack, 0)
            return sum + g * g
        }
    }

    @Test(arguments: [(4000, 30), (3000, 8), (2000, 3)])
    func codesHoldAndTheBoundIsBelowTheDistance(count: Int, dims: Int) {
        let base = ClusteredFlatIndexTests.clustered(count, dims: dims, spread: 2, seed: 5)
        var index = ClusteredFlatIndex(base), flat = FlatIndex(base)
        Self.expectCodesHold(index)
        var rng = SeededRNG(seed: 8)
        let queries = ClusteredFlatIndexTests.clustered(30, dims: dims, spread: 3, seed: 6)
        for q in 0..<queries.rows {
            let query = queries.row(q)
            for j in index.clusters.indices {
                for s in 0..<index.clusters[j].rows.count {
                    let x = Array(index.clusters[j].vector(slot: s, dims: dims))
                    let exact = zip(query, x).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
                    #expect(Double(Self.bound(index, query, cluster: j, slot: s)) <= exact)
                }
            }
        }
        // Rows added inside and outside the cells' spans, and removed, keep the codes true.
        for step in 0..<400 {
            let v = base.row(rng.below(base.rows)).map { $0 + (step % 3 == 0 ? 3 : 0.1) * (rng.uniform() - 0.5) }
            index.add(Matrix(rows: 1, cols: dims, storage: v))
            flat.add(Matrix(rows: 1, cols: dims, storage: v))
            if step % 3 == 2 {
                let row = rng.below(flat.count)
                index.removeSwappingLast(row)
                flat.removeSwappingLast(row)
            }
        }
        Self.expectCodesHold(index)
        for q in 0..<queries.rows {
            #expect(index.searchOne(queries.row(q), k: 10) == flat.searchOne(queries.row(q), k: 10))
        }
    }
}
