import Foundation
import Testing
import VicinityClient
import VicinityData
import VicinityStore

/// A store built from `.npy` vectors and bits (no model) answers `KNN … VEC` as faiss's
/// IndexFlatL2 and `HAMMING … BITS` as its IndexBinaryFlat on the same files (numpy brute force
/// when faiss-cpu is not installed), refuses RAW with NOMODEL, and exports the same arrays back.
@Suite struct VectorStoreTests {
    static let script = #"""
        import json, os, sys
        import numpy as np
        out = sys.argv[1]
        rng = np.random.default_rng(11)
        n, d, q, k = 3000, 24, 40, 10
        x = rng.normal(size=(n, d)).astype(np.float32)
        x[:, :4] *= 4   # some structure: a few dominant axes
        b = rng.integers(0, 256, size=(n, 8), dtype=np.uint8)
        xq = (x[rng.integers(0, n, q)] + rng.normal(scale=0.3, size=(q, d))).astype(np.float32)
        bq = b[rng.integers(0, n, q)] ^ (rng.random((q, 8)) < 0.05).astype(np.uint8)
        np.save(os.path.join(out, "x.npy"), x)
        np.save(os.path.join(out, "x64.npy"), x.astype(np.float64))
        np.save(os.path.join(out, "b.npy"), b)
        np.save(os.path.join(out, "y.npy"), rng.integers(0, 5, n).astype(np.int64))
        open(os.path.join(out, "ids.txt"), "w").write("".join("vec-%05d\n" % i for i in range(n)))
        try:
            import faiss
            flat = faiss.IndexFlatL2(d); flat.add(x); dl, il = flat.search(xq, k)
            binary = faiss.IndexBinaryFlat(64); binary.add(b); dh, ih = binary.search(bq, k)
            oracle = "faiss " + faiss.__version__
        except ImportError:
            dist = ((xq[:, None, :].astype(np.float64) - x[None]) ** 2).sum(-1)
            il = np.argsort(dist, 1, kind="stable")[:, :k]; dl = np.take_along_axis(dist, il, 1)
            ham = np.unpackbits(bq[:, None, :] ^ b[None], axis=-1).sum(-1)
            ih = np.argsort(ham, 1, kind="stable")[:, :k]; dh = np.take_along_axis(ham, ih, 1)
            oracle = "numpy brute force"
        json.dump({"oracle": oracle, "queries": xq.tolist(), "bit_queries": [r.tobytes().hex() for r in bq],
                   "l2_ids": il.tolist(), "l2_dist": dl.tolist(), "hamming_dist": dh.tolist(), "hamming_ids": ih.tolist()},
                  open(os.path.join(out, "oracle.json"), "w"))
        """#

    struct Oracle: Decodable {
        var oracle: String
        var queries: [[Float]]
        var bit_queries: [String]
        var l2_ids: [[Int]]
        var l2_dist: [[Double]]
        var hamming_dist: [[Int]]
        var hamming_ids: [[Int]]
    }

    // Long: one scenario whose steps build on each other against one server or store.
    @Test func npyStoreAnswersAsFaiss() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        let made = try runProgram(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", Self.script, dir.path])
        try #require(made.status == 0, "python3 with numpy (scripts/setup installs it, and faiss-cpu): \(made.stderr)")
        let oracle = try JSONDecoder().decode(
            Oracle.self, from: Data(contentsOf: URL(fileURLWithPath: path("oracle.json"))))
        print("vector store oracle: \(oracle.oracle)")

        let store = path("stores/vectors")
        let embed = try runVicinity([
            "embed", "--vectors", path("x.npy"), "--bits", path("b.npy"), "--ids", path("ids.txt"),
            "--labels", path("y.npy"), "--store", store, "--json",
        ])
        #expect(embed.status == 0, "\(embed.stderr)")
        #expect(try parseJSON(embed.stdout)["count"] as? Int == 3000)
        // float64 input gives the same store (its values are float32 values widened).
        let store64 = path("stores/vectors64")
        #expect(
            try runVicinity([
                "embed", "--vectors", path("x64.npy"), "--bits", path("b.npy"), "--ids", path("ids.txt"),
                "--store", store64,
            ]).status == 0)
        #expect(
            try CodeStore(path: store64, access: .readOnly).snapshot().codes
                == CodeStore(path: store, access: .readOnly).snapshot().codes)

        let server = try ServerProcess(["--store", store])
        let client = try server.client()
        for (qi, query) in oracle.queries.enumerated() {
            let rows = try client.plainRows("KNN 10 VEC " + query.map { "\($0)" }.joined(separator: ","))
            let got = rows.map { $0.split(separator: " ") }
            #expect(
                got.map { String($0[1]) } == oracle.l2_ids[qi].map { String(format: "vec-%05d", $0) }, "query \(qi)")
            for (row, want) in zip(got, oracle.l2_dist[qi]) {
                let d = Double(row[2])!
                #expect(abs(d - want) <= 1e-4 * max(1, want), "query \(qi): distance \(d) vs \(want)")
            }
        }
        for (qi, hex) in oracle.bit_queries.enumerated() {
            let got = try client.plainRows("HAMMING 10 BITS \(hex)").map { $0.split(separator: " ") }
            // Distances equal the oracle's; ids too wherever a distance is not tied at the 10th place
            // (both break ties by row, and rows follow the ids' order, which is the file's).
            #expect(got.map { Int($0[2])! } == oracle.hamming_dist[qi], "bits query \(qi)")
            #expect(
                got.map { String($0[1]) } == oracle.hamming_ids[qi].map { String(format: "vec-%05d", $0) },
                "bits query \(qi)")
        }
        #expect(try client.plain("KNN 5 RAW 1,2,3").hasPrefix("ERR NOMODEL"))
        server.kill(SIGTERM)

        // Export back to .npy: numpy reads the same arrays.
        #expect(try runVicinity(["export", store, "--format", "npy", "--out", path("codes.npy")]).status == 0)
        #expect(try runVicinity(["export", store, "--format", "npy-bits", "--out", path("bits.npy")]).status == 0)
        let check = try runProgram(
            URL(fileURLWithPath: "/usr/bin/env"),
            [
                "python3", "-c",
                """
                import sys, numpy as np
                d = sys.argv[1]
                assert np.array_equal(np.load(d + "/codes.npy"), np.load(d + "/x.npy"))
                assert np.array_equal(np.load(d + "/bits.npy"), np.load(d + "/b.npy"))
                """, dir.path,
            ])
        #expect(check.status == 0, "\(check.stderr)")

        // Bad input is named.
        let short = try runVicinity([
            "embed", "--vectors", path("x.npy"), "--labels", path("codes.npy"), "--store", path("stores/bad"),
        ])
        #expect(
            short.status != 0 && short.stderr.contains("codes.npy") && short.stderr.contains("integer"),
            "\(short.stderr)")
        let wrong = try runVicinity(["embed", "--vectors", path("ids.txt"), "--store", path("stores/bad2")])
        #expect(wrong.status != 0 && wrong.stderr.contains("not a .npy file"), "\(wrong.stderr)")
    }
}
