import COpenBLAS

/// Process-wide settings for numeric work, applied once by the `vicinity` binary at start.
public enum Runtime {
    public static func configureForNumericWork() {
        // Matrices of a few MB are freed and allocated again every training step; keep them in the
        // heap instead of mmap/munmap, which faults every page in again (measured: ~15 % of a step).
        mallopt(M_MMAP_THRESHOLD, 32 << 20)
        mallopt(M_TRIM_THRESHOLD, 1 << 30)
        BLAS.useOwnThreads()
    }

    /// Hands the heap's free memory back to the system: after a big load whose scratch arrays
    /// are gone, which the trim threshold above would otherwise keep resident.
    public static func releaseFreeMemory() {
        malloc_trim(0)
    }
}
