import Foundation
import Testing
import VicinityClient
import VicinityData
import VicinityLearning
import VicinityStore

/// A labelled folder of colour JPEGs of mixed sizes and named classes, written by Pillow, taken
/// through train → embed → serve (`KNN … RAW`) → eval.
@Suite struct ImageFolderRoundTripTests {
    static let writer = #"""
        import os, sys
        import numpy as np
        from PIL import Image
        out = sys.argv[1]
        rng = np.random.default_rng(5)
        for c, name in enumerate(["reds", "greens", "blues"]):
            os.makedirs(os.path.join(out, name), exist_ok=True)
            for i in range(12):
                w, h = int(rng.integers(16, 48)), int(rng.integers(16, 48))
                img = rng.integers(0, 90, (h, w, 3))
                img[:, :, c] += 150
                img[: h // 2, :, (c + 1) % 3] += 60 * (i % 2)
                Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(os.path.join(out, name, "img%02d.jpg" % i), quality=90)
        open(os.path.join(out, "reds", "broken.jpg"), "wb").write(open(os.path.join(out, "reds", "img00.jpg"), "rb").read()[:300])
        """#

    // Long: one scenario whose steps build on each other (the files, model and stores of the first steps).
    @Test func trainEmbedServeEval() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let images = dir.appendingPathComponent("photos").path
        let made = try runProgram(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", Self.writer, images])
        try #require(made.status == 0, "python3 with Pillow (scripts/setup installs it): \(made.stderr)")
        let model = dir.appendingPathComponent("m.safetensors").path

        let train = try runVicinity([
            "train", "--recipe", "nca", "--data", images, "--size", "8x8", "--channels", "3",
            "--test-fraction", "0.25", "--layers", "24,6", "--pretrain-epochs", "0", "--epochs", "3",
            "--head-bits", "0", "--validation", "4", "--out", model,
        ])
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stderr.contains("broken.jpg"), "the bad file is named: \(train.stderr)")
        let m = try EmbeddingModel.load(from: model)
        #expect(m.architecture.classNames == ["blues", "greens", "reds"])
        #expect(m.architecture.inputGeometry == ImageGeometry(height: 8, width: 8, channels: 3) && m.inputDims == 192)

        // Embed the whole folder: every image to 8×8×3, the broken one skipped by name (and fatal with --strict).
        let store = dir.appendingPathComponent("stores/photos").path
        let strict = try runVicinity([
            "embed", "--model", model, "--images", images, "--store", store + "-strict", "--strict",
        ])
        #expect(strict.status != 0 && strict.stderr.contains("reds/broken.jpg"))
        let embed = try runVicinity(["embed", "--model", model, "--images", images, "--store", store, "--json"])
        #expect(embed.status == 0, "\(embed.stderr)")
        let summary = try parseJSON(embed.stdout)
        #expect(summary["count"] as? Int == 36 && summary["skipped"] as? Int == 1)
        #expect((summary["skipped_names"] as? [String]) == ["reds/broken.jpg"])
        let snap = try CodeStore(path: store, access: .readOnly).snapshot()
        #expect(Set(snap.labels) == [0, 1, 2])

        // A served RAW query of an image, decoded and fitted here, finds that very item at distance 0:
        // its code does not depend on being embedded alone or in a batch.
        let server = try ServerProcess(["--store", store, "--model", model])
        let client = try server.client()
        for id in ["reds/img03", "blues/img10", "greens/img07"] {
            let bitmap = try readBitmap(images + "/" + id + ".jpg", geometry: m.architecture.inputGeometry!, fit: .crop)
            let rows = try client.plainRows("KNN 3 RAW " + bitmap.pixels.map(String.init).joined(separator: ","))
            let first = rows.first?.split(separator: " ") ?? []
            #expect(first.count >= 3 && first[1] == Substring(id) && Double(first[2]) == 0, "\(id): \(rows)")
            // The same pixels as a U8 payload (raw bytes over RESP) give the same reply as the text form.
            let u8 = try client.callBytes([Array("KNN".utf8), Array("3".utf8), Array("U8".utf8), bitmap.pixels])
            let text = try client.call(["KNN", "3", "RAW", bitmap.pixels.map(String.init).joined(separator: ",")])
            #expect(u8 == text, "\(id): U8 \(u8) vs RAW \(text)")
            if case .array(let items) = u8, case .array(let top)? = items.first, top.count >= 2,
                case .bulk(let got) = top[1]
            {
                #expect(got == id, "\(id): \(u8)")
            } else {
                Issue.record("\(id): U8 reply \(u8)")
            }
            // GET names the item's class as the model records it.
            let get = try client.plainRows("GET \(id)")
            #expect(get.count == 5 && get[2] == "class \(id.split(separator: "/")[0])", "\(get)")
        }
        server.kill(SIGTERM)

        // Eval on the folder, same held-out split, against the store and in memory; class names in the table.
        let eval = try runVicinity([
            "eval", "--model", model, "--data", images, "--test-fraction", "0.25", "--no-baselines",
        ])
        #expect(eval.status == 0, "\(eval.stderr)")
        #expect(eval.stdout.contains("reds") && eval.stdout.contains("blues"), "\(eval.stdout)")
        let evalStore = try runVicinity([
            "eval", "--model", model, "--data", images, "--test-fraction", "0.25", "--store", store, "--json",
        ])
        #expect(evalStore.status == 0, "\(evalStore.stderr)")
        #expect(try parseJSON(evalStore.stdout)["queries"] as? Int == 9)
        // Plots: the map on the folder's held-out split; grey-only figures refused by name.
        let map = try runVicinity([
            "plot", "map", "--model", model, "--data", images, "--test-fraction", "0.25",
            "--out", dir.appendingPathComponent("map.png").path,
        ])
        #expect(map.status == 0, "\(map.stderr)")
        let filters = try runVicinity([
            "plot", "filters", "--model", model, "--data", images, "--test-fraction", "0.25",
            "--out", dir.appendingPathComponent("f.png").path,
        ])
        #expect(filters.status != 0 && filters.stderr.contains("colour images"), "\(filters.stderr)")
        let missing = try runVicinity(["eval", "--model", model, "--data", images])
        #expect(missing.status != 0 && missing.stderr.contains("--test-fraction"))
    }
}
