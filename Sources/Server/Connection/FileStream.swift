#if canImport(Glibc)
import Glibc
#endif

/// A file body being copied to the send queue segment by segment, remembering a small whole file's bytes for
/// the file cache.
struct FileStream {
    let file: FileBody
    private var segment = 0
    /// File bytes still to read in the current segment; nil before the segment has started.
    private var segmentRemaining: Int?
    /// The whole file, collected while it is small enough to cache.
    private(set) var collected: [UInt8]?
    /// Body bytes not yet queued (prefixes and trailer included).
    private(set) var bytesLeft: Int

    init(file: FileBody, collecting: Bool) {
        self.file = file
        bytesLeft = file.length
        collected = collecting && file.isWholeFile && file.identity.size <= FileCache.maxFileSize ? [] : nil
        collected?.reserveCapacity(file.identity.size)
    }

    /// Heap bytes this stream collects for the file cache.
    var collectingBytes: Int { collected == nil ? 0 : file.identity.size }

    /// Starts the next segment if needed (its prefix into `outbound`, the file positioned at its offset) and
    /// says how many file bytes to read now; 0 when the body is complete (the trailer then queued).
    mutating func nextRead(into outbound: inout SendQueue) -> Int {
        while true {
            if let remaining = segmentRemaining, remaining > 0 { return remaining }
            if segmentRemaining != nil { segment += 1 }
            guard segment < file.segments.count else {
                if !file.trailer.isEmpty { outbound.append(file.trailer) }
                bytesLeft -= file.trailer.count
                return 0
            }
            let next = file.segments[segment]
            outbound.append(next.prefix)
            bytesLeft -= next.prefix.count
            if next.offset != 0 { lseek(file.descriptor.raw, off_t(next.offset), SEEK_SET) }
            segmentRemaining = next.length
        }
    }

    mutating func consumed(_ bytes: UnsafeRawBufferPointer) {
        segmentRemaining! -= bytes.count
        bytesLeft -= bytes.count
        collected?.append(contentsOf: bytes)
    }
}
