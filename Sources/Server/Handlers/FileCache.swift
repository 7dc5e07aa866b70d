/// Small files kept in memory, keyed by path and checked against a fresh stat() on every hit, so a hot
/// 1 KiB file costs no open/read/close per request. Filled only from reads that went through select().
struct FileCache {
    struct Entry {
        let identity: FileIdentity
        let bytes: [UInt8]
    }

    static let maxFileSize = 256 * 1024
    static let maxTotalSize = 64 * 1024 * 1024

    private var entries: [String: Entry] = [:]
    private var totalSize = 0

    func bytes(for path: String, identity: FileIdentity) -> [UInt8]? {
        guard let entry = entries[path], entry.identity == identity else { return nil }
        return entry.bytes
    }

    mutating func store(_ bytes: [UInt8], for path: String, identity: FileIdentity) {
        guard bytes.count <= FileCache.maxFileSize, bytes.count == identity.size else { return }
        if let old = entries[path] { totalSize -= old.bytes.count }
        if totalSize + bytes.count > FileCache.maxTotalSize {
            // Crude but bounded: start again rather than track recency on the hot path.
            entries.removeAll(keepingCapacity: true)
            totalSize = 0
        }
        entries[path] = Entry(identity: identity, bytes: bytes)
        totalSize += bytes.count
    }
}
