import Foundation
import VicinityMath

/// One image that could not be used, and why.
public struct ImageFailure: Sendable, Equatable, CustomStringConvertible {
    /// Path relative to the folder, e.g. `bad.png` or `shoes/bad.jpg`.
    public let name: String
    public let reason: String
    public var description: String { "\(name): \(reason)" }
}

/// The images of a folder, decoded, brought to one geometry and stacked.
public struct ImageFolder: Sendable {
    public let directory: String
    /// N×(height·width·channels), pixels divided by 255, channels interleaved.
    public let images: Matrix
    /// The class of each image: its subfolder's number when every subfolder is named by a
    /// non-negative integer, else the subfolder's position in `classNames`; -1 for images
    /// directly in the folder.
    public let labels: [Int]
    public let ids: [String]
    public let geometry: ImageGeometry
    /// Subfolder names by label when they are not all numbers; empty otherwise.
    public let classNames: [String]
    /// Files that were skipped, with the reason; empty in strict mode.
    public let failures: [ImageFailure]
    /// For each kept image, its position among all `fileCount` image files
    /// found (in the order described at `readImageFolder`), so a separate
    /// labels file listing every file can still be lined up after skips.
    public let fileIndices: [Int]
    public let fileCount: Int

    public var rows: Int { geometry.height }
    public var cols: Int { geometry.width }
}

/// File name endings read as images (the content decides the format, see `decodeBitmap`).
let imageExtensions: Set<String> = ["png", "pgm", "ppm", "pnm", "jpg", "jpeg"]

/// Reads every JPEG, PNG, PGM and PPM file in `directory`, brought to `geometry` by `fit`, or
/// when `geometry` is nil to the most common size and channel count among them (the first
/// image's in strict mode).
///
/// Layout: images directly in the folder get label -1; images in a subfolder (`DIR/shoes/x.jpg`)
/// get that class (see `ImageFolder.labels`). Order: by label, then by file name. ids are the
/// file name without extension, prefixed by the class folder in the labelled layout (`shoes/x`)
/// so that equal file names in different classes stay distinct. Other files are ignored.
///
/// Lenient mode (default) skips files that cannot be decoded (truncated, corrupt, an
/// unsupported format or variant), listing each with the reason in `failures`. Strict mode
/// throws the first such problem instead.
public func readImageFolder(
    _ directory: String, geometry: ImageGeometry? = nil, fit: ImageFit = .crop,
    strict: Bool = false
) throws -> ImageFolder {
    guard isDirectory(directory) else { throw DataError.cannotRead(path: directory, reason: "no such directory") }
    let (entries, classNames) = try listImageFiles(directory)
    guard !entries.isEmpty else {
        throw DataError.malformed(path: directory, detail: "no image files (.jpg, .jpeg, .png, .pgm, .ppm) found")
    }
    let paths = entries.map(\.path)
    func decodeAll(_ g: ImageGeometry?) -> [Result<Bitmap, DataError>] {
        parallelMap(paths.count) { i in
            do { return .success(try readBitmap(paths[i], geometry: g, fit: fit)) } catch let e as DataError {
                return .failure(e)
            } catch {
                return .failure(.badImage(path: paths[i], detail: "\(error)"))
            }
        }
    }
    var decoded = decodeAll(geometry)
    if strict, let bad = decoded.first(where: { if case .failure = $0 { true } else { false } }),
        case .failure(let e) = bad
    {
        throw e
    }
    let target = try geometry ?? commonGeometry(decoded, strict: strict, directory: directory)
    if geometry == nil {
        // Odd images are brought to the common geometry.
        let shared = UnsafeSendable(decoded)
        decoded = parallelMap(decoded.count) { i in
            guard case .success(let b) = shared.value[i],
                b.width != target.width || b.height != target.height || b.channels != target.channels
            else { return shared.value[i] }
            return .success(b.fitted(to: target, fit: fit))
        }
    }
    var failures: [ImageFailure] = []
    var kept: [Int] = []
    for (i, r) in decoded.enumerated() {
        switch r {
        case .failure(let e): failures.append(ImageFailure(name: entries[i].relative, reason: e.description))
        case .success: kept.append(i)
        }
    }
    let d = target.dims
    var storage = [Float](repeating: 0, count: kept.count * d)
    storage.withUnsafeMutableBufferPointer { dst in
        for (k, i) in kept.enumerated() {
            guard case .success(let b) = decoded[i] else { continue }
            b.pixels.withUnsafeBufferPointer { src in
                let out = dst.baseAddress! + k * d
                for j in 0..<d { out[j] = Float(src[j]) / 255 }
            }
        }
    }
    return ImageFolder(
        directory: directory, images: Matrix(rows: kept.count, cols: d, storage: storage),
        labels: kept.map { entries[$0].label }, ids: kept.map { entries[$0].stem }, geometry: target,
        classNames: classNames, failures: failures, fileIndices: kept, fileCount: entries.count)
}

/// The most common size and channel count among the decoded images (first seen wins ties; in
/// strict mode the first image's).
private func commonGeometry(_ decoded: [Result<Bitmap, DataError>], strict: Bool, directory: String) throws
    -> ImageGeometry
{
    var counts: [ImageGeometry: (n: Int, first: Int)] = [:]
    for (i, r) in decoded.enumerated() {
        if case .success(let b) = r {
            counts[ImageGeometry(height: b.height, width: b.width, channels: b.channels), default: (0, i)].n += 1
        }
    }
    guard
        let best = counts.max(by: { a, b in
            a.value.n != b.value.n ? a.value.n < b.value.n : a.value.first > b.value.first
        })
    else {
        let first = decoded.compactMap { if case .failure(let e) = $0 { e } else { nil } }.first
        throw first ?? DataError.malformed(path: directory, detail: "no image could be decoded")
    }
    return strict ? counts.min(by: { $0.value.first < $1.value.first })!.key : best.key
}

/// One image file of a folder.
struct ImageEntry {
    var label: Int
    var name: String
    /// The id: file name without extension, after `class/` in the labelled layout.
    var stem: String
    /// The path relative to the folder, for messages.
    var relative: String
    var path: String
}

/// The image files of a folder and its class subfolders, sorted by label then name, and the class
/// names by label (empty when every class folder is named by a number, which is then the label).
func listImageFiles(_ directory: String) throws -> ([ImageEntry], [String]) {
    let fm = FileManager.default
    func contents(_ path: String) throws -> [String] {
        do { return try fm.contentsOfDirectory(atPath: path).filter { !$0.hasPrefix(".") } } catch {
            throw DataError.cannotRead(path: path, reason: error.localizedDescription)
        }
    }
    func isImage(_ name: String) -> Bool { imageExtensions.contains((name as NSString).pathExtension.lowercased()) }
    let top = try contents(directory)
    let folders = top.filter { isDirectory((directory as NSString).appendingPathComponent($0)) }
        .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    let numeric = folders.allSatisfy { Int($0).map { $0 >= 0 } ?? false }
    let classNames = numeric ? [] : folders
    var entries: [ImageEntry] = []
    for name in top where !folders.contains(name) && isImage(name) {
        entries.append(
            ImageEntry(
                label: -1, name: name, stem: (name as NSString).deletingPathExtension, relative: name,
                path: (directory as NSString).appendingPathComponent(name)))
    }
    for (index, folder) in folders.enumerated() {
        let path = (directory as NSString).appendingPathComponent(folder)
        let label = numeric ? Int(folder)! : index
        for file in try contents(path) where isImage(file) {
            entries.append(
                ImageEntry(
                    label: label, name: file, stem: "\(folder)/\((file as NSString).deletingPathExtension)",
                    relative: "\(folder)/\(file)", path: (path as NSString).appendingPathComponent(file)))
        }
    }
    entries.sort { ($0.label, $0.name) < ($1.label, $1.name) }
    return (entries, classNames)
}
