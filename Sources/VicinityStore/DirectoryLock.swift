import Foundation

/// A `flock` on a store directory. Every `CodeStore` holds it shared; rewriting the store's files
/// in place (`CodeStore.rewriteCanonically`) needs it exclusively, so it never replaces files
/// another process has open, and a process that opens the store meanwhile waits until it is done.
/// (flock, unlike fcntl locks, belongs to the open file description: LMDB's own fcntl locks on
/// lock.mdb neither see nor disturb it.)
final class DirectoryLock: @unchecked Sendable {
    private let fd: Int32

    /// Opens `path` and waits for a shared lock.
    init(_ path: String) throws {
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            throw StoreError.notAStore(
                path: path, reason: "cannot open the directory (\(String(cString: strerror(errno))))")
        }
        while flock(fd, LOCK_SH) != 0 && errno == EINTR {}
    }

    deinit { close(fd) }

    /// Gives the lock up (a retired handle no longer uses the files).
    func unlock() { flock(fd, LOCK_UN) }

    /// Makes renames inside the directory durable.
    func sync() { fsync(fd) }

    /// Turns the shared lock exclusive without waiting; false (the lock shared again) when another
    /// handle holds it too.
    func tryExclusive() -> Bool {
        if flock(fd, LOCK_EX | LOCK_NB) == 0 { return true }
        // A failed conversion may have dropped the shared lock (flock's conversion is not atomic).
        while flock(fd, LOCK_SH) != 0 && errno == EINTR {}
        return false
    }
}
