import Foundation
import Testing

/// Image files written by Pillow (an encoder independent of ours) and Pillow's own decodes of
/// them, made once per test run by `pillowScript` into a temporary folder: `NAME.EXT` is the file,
/// `NAME.raw` Pillow's pixels (row-major, channels interleaved) and `manifest.json` maps each NAME
/// to [width, height, channels] of those pixels.
struct PillowFixtures: Sendable {
    let directory: String
    let manifest: [String: [Int]]

    func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
    func expected(_ name: String) throws -> (width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        let shape = try #require(manifest[name], "no fixture \(name)")
        let pixels = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path(name + ".raw"))))
        #expect(pixels.count == shape[0] * shape[1] * shape[2], "\(name).raw size")
        return (shape[0], shape[1], shape[2], pixels)
    }

    /// Made on first use; nil (with the reason recorded) when python3 cannot import Pillow and numpy.
    static let shared: Result<PillowFixtures, TestFailure> = {
        let dir = temporaryPath("vicinity-pillow")
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", pillowScript, dir]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        do { try process.run() } catch { return .failure(TestFailure(message: "cannot run python3: \(error)")) }
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let data = FileManager.default.contents(atPath: (dir as NSString).appendingPathComponent("manifest.json")),
            let manifest = try? JSONDecoder().decode([String: [Int]].self, from: data)
        else {
            return .failure(
                TestFailure(message: "python3 with Pillow and numpy (scripts/setup installs them) failed: \(stderr)"))
        }
        return .success(PillowFixtures(directory: dir, manifest: manifest))
    }()

    static func load() throws -> PillowFixtures {
        switch shared {
        case .success(let f): return f
        case .failure(let e): Issue.record("\(e)"); throw e
        }
    }
}

private let pillowScript = #"""
    import io, json, os, sys
    import numpy as np
    from PIL import Image, ImageOps
    out = sys.argv[1]
    manifest = {}
    rng = np.random.default_rng(7)

    def picture(w, h, c):
        """Smooth gradients, a disc and some noise: JPEG-friendly but not trivial."""
        y, x = np.mgrid[0:h, 0:w]
        planes = [128 + 100 * np.sin(x / 5.0 + k) * np.cos(y / 7.0 - k) for k in range(c)]
        img = np.stack(planes, -1)
        img[((x - w / 3) ** 2 + (y - h / 2) ** 2) < (min(w, h) / 4) ** 2] = 230
        img += rng.normal(0, 6, img.shape)
        a = np.clip(img, 0, 255).astype(np.uint8)
        return a[:, :, 0] if c == 1 else a

    def expect(name, array):
        array = np.ascontiguousarray(array)
        h, w = array.shape[:2]
        c = 1 if array.ndim == 2 else array.shape[2]
        open(os.path.join(out, name + ".raw"), "wb").write(array.astype(np.uint8).tobytes())
        manifest[name] = [w, h, c]

    # JPEG: colour 4:2:0 and 4:4:4, grey, progressive; Pillow's decode of each.
    for name, img, kw in [
        ("rgb420", Image.fromarray(picture(61, 43, 3)), dict(quality=90)),
        ("rgb444", Image.fromarray(picture(40, 52, 3)), dict(quality=90, subsampling=0)),
        ("grey", Image.fromarray(picture(33, 29, 1)), dict(quality=85)),
        ("progressive", Image.fromarray(picture(48, 48, 3)), dict(quality=80, progressive=True)),
        ("big", Image.fromarray(picture(200, 120, 3)), dict(quality=90)),
    ]:
        img.save(os.path.join(out, name + ".jpg"), **kw)
        expect(name, np.asarray(Image.open(os.path.join(out, name + ".jpg"))))
    # Pillow's DCT-scaled decode (draft) of big.jpg at 1/2, 1/4 and 1/8.
    for d in (2, 4, 8):
        im = Image.open(os.path.join(out, "big.jpg"))
        im.draft("RGB", (200 // d, 120 // d))
        expect("big_d%d" % d, np.asarray(im))
    # EXIF orientations 1..8: Pillow's exif_transpose is the picture as seen.
    base = Image.fromarray(picture(30, 20, 3))
    for o in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = o
        base.save(os.path.join(out, "orient%d.jpg" % o), quality=95, exif=exif)
        expect("orient%d" % o, np.asarray(ImageOps.exif_transpose(Image.open(os.path.join(out, "orient%d.jpg" % o)))))
    # CMYK JPEG (refused by name), truncated JPEG.
    Image.fromarray(picture(16, 16, 3)).convert("CMYK").save(os.path.join(out, "cmyk.jpg"))
    blob = open(os.path.join(out, "rgb420.jpg"), "rb").read()
    open(os.path.join(out, "truncated.jpg"), "wb").write(blob[: len(blob) // 2])

    # PNG: grey, RGB, palette, grey+alpha, RGBA, 16-bit grey; exact expectations.
    g, c = picture(23, 17, 1), picture(23, 17, 3)
    a = rng.integers(0, 256, (17, 23), dtype=np.uint16)
    Image.fromarray(g).save(os.path.join(out, "L.png")); expect("L", g)
    Image.fromarray(c).save(os.path.join(out, "RGB.png")); expect("RGB", c)
    p = Image.fromarray(c).quantize(colors=37)
    p.save(os.path.join(out, "P.png")); expect("P", np.asarray(p.convert("RGB")))
    Image.fromarray(np.dstack([g, a.astype(np.uint8)]), "LA").save(os.path.join(out, "LA.png"))
    expect("LA", (g.astype(np.uint32) * a + 127) // 255)
    Image.fromarray(np.dstack([c, a.astype(np.uint8)]), "RGBA").save(os.path.join(out, "RGBA.png"))
    expect("RGBA", (c.astype(np.uint32) * a[:, :, None] + 127) // 255)
    g16 = rng.integers(0, 65536, (17, 23), dtype=np.uint16)
    Image.fromarray(g16).save(os.path.join(out, "L16.png"))
    expect("L16", np.floor(g16 / 257.0 + 0.5))
    blob = bytearray(open(os.path.join(out, "RGB.png"), "rb").read())
    for i in range(60, len(blob) - 20, 7):
        blob[i] ^= 0x5A
    open(os.path.join(out, "corrupt.png"), "wb").write(bytes(blob))
    # PGM / PPM, 8-bit and 16-bit.
    Image.fromarray(g).save(os.path.join(out, "grey.pgm")); expect("greypgm", g)
    Image.fromarray(c).save(os.path.join(out, "colour.ppm")); expect("colourppm", c)
    Image.fromarray(g16).save(os.path.join(out, "deep.pgm"))
    expect("deeppgm", (g16.astype(np.uint64) * 255 + 32767) // 65535)
    # Not read: GIF.
    Image.fromarray(c).save(os.path.join(out, "anim.gif"))

    # Resizing: Pillow's box filter (shrinking by whole and by fractional factors) and bilinear (growing).
    src = picture(60, 45, 3)
    Image.fromarray(src).save(os.path.join(out, "resize_src.png"))
    expect("box_20x15", np.asarray(Image.fromarray(src).resize((20, 15), Image.BOX)))
    expect("box_25x19", np.asarray(Image.fromarray(src).resize((25, 19), Image.BOX)))
    def area_weights(n, m):
        """m×n: the share of source pixel i in output pixel j's footprint [j·n/m, (j+1)·n/m)."""
        w = np.zeros((m, n))
        for j in range(m):
            lo, hi = j * n / m, (j + 1) * n / m
            for i in range(n):
                w[j, i] = max(0.0, min(hi, i + 1) - max(lo, i)) * m / n
        return w
    wy, wx = area_weights(45, 19), area_weights(60, 25)
    expect("area_25x19", np.floor(np.einsum("yi,ijc,xj->yxc", wy, src.astype(np.float64), wx) + 0.5))
    small = picture(20, 15, 3)
    Image.fromarray(small).save(os.path.join(out, "resize_small.png"))
    expect("bilinear_50x40", np.asarray(Image.fromarray(small).resize((50, 40), Image.BILINEAR)))
    expect("grey_of_rgb", np.asarray(Image.fromarray(c).convert("L")))
    json.dump(manifest, open(os.path.join(out, "manifest.json"), "w"))
    """#

struct TestFailure: Error, CustomStringConvertible, Sendable {
    var message: String
    var description: String { message }
}
