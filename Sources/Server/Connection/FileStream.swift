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
            if next.offset != 0 { file.descriptor.seek(to: next.offset) }
            segmentRemaining = next.length
        }
    }

    mutating func consumed(_ bytes: UnsafeRawBufferPointer) {
        segmentRemaining! -= bytes.count
        bytesLeft -= bytes.count
        collected?.append(contentsOf: bytes)
    }

    // MARK: Reading through select()

    /// Refill the send queue below this.
    static let lowWater = 64 * 1024
    /// A file read is worth a select() pass only with this much room in its block.
    static let minimumRead = 4096

    /// Whether the file should be watched now: the queue is low and has room (a small file is read into its
    /// head's block, a larger one into bulk blocks). No room in the pool: the file waits, undeclared, until a
    /// block is given back.
    func wantsRead(_ outbound: inout SendQueue) -> Bool {
        outbound.pending < FileStream.lowWater
            && (bytesLeft <= outbound.tailRoom
                || outbound.reserveBulk(FileStream.minimumRead, run: bytesLeft > BufferPool.bulkBlockSize))
    }

    enum ReadResult {
        case more
        /// The file ended before the length promised in the head.
        case shrank
        case complete
    }

    /// One read() of the file (select() reported it readable) straight into the room reserved in the send
    /// queue: the block it is sent from.
    mutating func read(into outbound: inout SendQueue) -> ReadResult {
        let want = nextRead(into: &outbound)
        guard want > 0 else { return .complete }
        guard outbound.tailRoom > 0 else { return .more }   // a part's prefix took the room: read next pass
        let count = outbound.fill(maximum: want) { room in
            let count = file.descriptor.read(into: room)
            if count > 0 { consumed(UnsafeRawBufferPointer(rebasing: room[..<count])) }
            return count
        }
        guard count > 0 else { return .shrank }
        return nextRead(into: &outbound) == 0 ? .complete : .more
    }
}
