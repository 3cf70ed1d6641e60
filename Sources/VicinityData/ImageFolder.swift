import Foundation
import VicinityMath

/// One image that could not be used, and why.
public struct ImageFailure: Sendable, Equatable, CustomStringConvertible {
    /// Path relative to the folder, e.g. `bad.png` or `3/bad.png`.
    public let name: String
    public let reason: String
    public var description: String { "\(name): \(reason)" }
}

/// The images of a folder, decoded and stacked.
public struct ImageFolder: Sendable {
    public let directory: String
    /// N×(rows·cols), pixels divided by 255.
    public let images: Matrix
    /// Numeric subfolder name, or -1 for images directly in the folder.
    public let labels: [Int]
    public let ids: [String]
    public let rows: Int
    public let cols: Int
    /// Files (and non-numeric subfolders) that were skipped; empty in strict mode.
    public let failures: [ImageFailure]
    /// For each kept image, its position among all `fileCount` image files
    /// found (in the order described at `readImageFolder`), so a separate
    /// labels file listing every file can still be lined up after skips.
    public let fileIndices: [Int]
    public let fileCount: Int
}

private let imageExtensions: Set<String> = ["png", "pgm"]

/// Reads every `.png` / `.pgm` in `directory`.
///
/// Layout: images directly in the folder get label -1; images in a
/// subfolder with a non-negative integer name (`DIR/3/x.png`) get that
/// label. Order: by label, then by file name. ids are the file name without
/// extension, prefixed by the label folder in the labelled layout
/// (`3/x`) so that equal file names in different classes stay distinct.
/// Other files are ignored.
///
/// Lenient mode (default) skips undecodable images, images whose size
/// differs from the most common size, and non-numeric subfolders, listing
/// them in `failures`. Strict mode throws the first such problem instead.
public func readImageFolder(_ directory: String, strict: Bool = false) throws -> ImageFolder {
    guard isDirectory(directory) else {
        throw DataError.cannotRead(path: directory, reason: "no such directory")
    }
    var failures: [ImageFailure] = []
    var entries: [(label: Int, name: String, stem: String, path: String)] = []
    let fm = FileManager.default
    let top: [String]
    do { top = try fm.contentsOfDirectory(atPath: directory) } catch {
        throw DataError.cannotRead(path: directory, reason: "\(error.localizedDescription)")
    }
    func isImage(_ name: String) -> Bool {
        !name.hasPrefix(".") && imageExtensions.contains((name as NSString).pathExtension.lowercased())
    }
    for name in top where !name.hasPrefix(".") {
        let path = (directory as NSString).appendingPathComponent(name)
        if isDirectory(path) {
            guard let label = Int(name), label >= 0 else {
                let problem = ImageFailure(name: name, reason: "subfolder name is not a numeric label; its files were skipped")
                if strict { throw DataError.malformed(path: path, detail: problem.reason) }
                failures.append(problem)
                continue
            }
            let inner: [String]
            do { inner = try fm.contentsOfDirectory(atPath: path) } catch {
                throw DataError.cannotRead(path: path, reason: "\(error.localizedDescription)")
            }
            for file in inner where isImage(file) {
                entries.append((label, file, "\(name)/\((file as NSString).deletingPathExtension)",
                                (path as NSString).appendingPathComponent(file)))
            }
        } else if isImage(name) {
            entries.append((-1, name, (name as NSString).deletingPathExtension, path))
        }
    }
    entries.sort { ($0.label, $0.name) < ($1.label, $1.name) }
    guard !entries.isEmpty else {
        throw DataError.malformed(path: directory, detail: "no .png or .pgm images found")
    }

    let paths = entries.map(\.path)
    let decoded: [Result<GrayImage, DataError>] = parallelMap(paths.count) { i in
        do { return .success(try readGrayImage(paths[i])) } catch let e as DataError {
            return .failure(e)
        } catch {
            return .failure(.badImage(path: paths[i], detail: "\(error)"))
        }
    }
    func relName(_ i: Int) -> String {
        entries[i].label >= 0 ? "\(entries[i].label)/\(entries[i].name)" : entries[i].name
    }

    // Reference size: the first image's in strict mode, else the most
    // common one (first seen wins ties), so one odd image is what gets dropped.
    var counts: [String: (n: Int, first: Int)] = [:]
    for (i, r) in decoded.enumerated() {
        if case .success(let img) = r {
            let key = "\(img.height)x\(img.width)"
            counts[key, default: (0, i)].n += 1
        } else if strict, case .failure(let e) = r {
            throw e
        }
    }
    let reference = counts.values.max { a, b in a.n != b.n ? a.n < b.n : a.first > b.first }?.first
    let refIndex: Int
    if strict {
        refIndex = decoded.firstIndex { if case .success = $0 { return true } else { return false } } ?? 0
    } else {
        refIndex = reference ?? 0
    }
    var rows = 0, cols = 0
    if case .success(let img) = decoded[refIndex] { rows = img.height; cols = img.width }

    var kept: [Int] = []
    for (i, r) in decoded.enumerated() {
        switch r {
        case .failure(let e):
            failures.append(ImageFailure(name: relName(i), reason: e.description))
        case .success(let img):
            if img.height == rows && img.width == cols {
                kept.append(i)
            } else {
                let e = DataError.imageSizesDiffer(first: relName(refIndex), firstRows: rows, firstCols: cols,
                                                   other: relName(i), otherRows: img.height, otherCols: img.width)
                if strict { throw e }
                failures.append(ImageFailure(name: relName(i), reason: e.description))
            }
        }
    }

    let d = rows * cols
    var storage = [Float](repeating: 0, count: kept.count * d)
    storage.withUnsafeMutableBufferPointer { dst in
        for (k, i) in kept.enumerated() {
            guard case .success(let img) = decoded[i] else { continue }
            img.pixels.withUnsafeBufferPointer { src in
                let out = dst.baseAddress! + k * d
                for j in 0..<d { out[j] = Float(src[j]) / 255 }
            }
        }
    }
    return ImageFolder(directory: directory,
                       images: Matrix(rows: kept.count, cols: d, storage: storage),
                       labels: kept.map { entries[$0].label },
                       ids: kept.map { entries[$0].stem },
                       rows: rows, cols: cols, failures: failures,
                       fileIndices: kept, fileCount: entries.count)
}
