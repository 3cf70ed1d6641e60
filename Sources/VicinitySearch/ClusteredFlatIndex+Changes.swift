import VicinityMath

/// Adding, replacing and removing rows: clusters take new rows without a rebuild.
extension ClusteredFlatIndex {
    public mutating func add(_ more: Matrix) {
        precondition(more.cols == dims, "ClusteredFlatIndex.add: vectors have \(more.cols) dims, index has \(dims)")
        if count + more.rows >= 2 * max(clusteredCount, 64) {
            return recluster(Matrix(rows: count + more.rows, cols: dims, storage: vectors.storage + more.storage))
        }
        for r in 0..<more.rows { place(more.row(r)) }
    }

    /// Removes `row` by moving the last row into its place, as FlatIndex and the store do.
    public mutating func removeSwappingLast(_ row: Int) {
        precondition(row >= 0 && row < count, "ClusteredFlatIndex.remove: row \(row) outside 0..<\(count)")
        let last = count - 1
        // Out of its cluster; that cluster's last member fills the slot.
        let j = Int(clusterOf[row])
        clusters[j].remove(slot: clusters[j].slot(of: row), dims: dims)
        if row != last {
            // The last row takes the freed number, in its own cluster and slot.
            let k = Int(clusterOf[last])
            clusters[k].rows[clusters[k].slot(of: last)] = Int32(row)
            clusterOf[row] = clusterOf[last]
        }
        clusterOf.removeLast()
    }

    /// Puts a row in the cluster with the nearest centre.
    mutating func place(_ v: [Float]) {
        if centres.rows == 0 {
            centres = Matrix(rows: 1, cols: dims, storage: v)
            clusters = [Cluster()]
        }
        var best = (distance: Float.infinity, cluster: 0)
        for j in 0..<centres.rows {
            let d = squaredDistance(v, centreRow: j)
            if d < best.distance { best = (d, j) }
        }
        let j = best.cluster
        clusters[j].insert(row: count, v, ring: best.distance.squareRoot(), centre: centres.row(j))
        clusterOf.append(UInt16(j))
    }
}
