/// What is known about the files served recently, one version each: their header lines already rendered
/// and, for small files, their bytes. A hot file then costs one stat() per request, and no open/read/close
/// and no formatting. Every hit is checked against that fresh stat(); bytes come only from reads that
/// went through select().
struct FileCache {
    struct Entry {
        let identity: FileIdentity
        let etag: EntityTag
        /// `Last-Modified: …\r\nETag: "…"\r\nAccept-Ranges: bytes\r\n`: what a multipart answer sends.
        let validatorLines: [UInt8]
        /// `Content-Type: …\r\n` and the validator lines: what every other answer sends.
        let headerLines: [UInt8]
        let contentType: String
        /// The table and default the type came from: a file reached through locations with different `types`
        /// or `default_type` has its entry made anew for each in turn.
        let types: ObjectIdentifier
        let defaultType: String
        fileprivate(set) var bytes: [UInt8]?

        init(identity: FileIdentity, contentType: String, types: ObjectIdentifier, defaultType: String) {
            self.identity = identity
            self.contentType = contentType
            self.types = types
            self.defaultType = defaultType
            etag = Conditional.etag(for: identity)
            validatorLines = Array(("Last-Modified: \(HTTPDate.format(identity.modifiedSeconds))\r\n"
                + "ETag: \(etag.field)\r\nAccept-Ranges: bytes\r\n").utf8)
            headerLines = Array("Content-Type: \(contentType)\r\n".utf8) + validatorLines
        }
    }

    static let maxFileSize = 256 * 1024
    static let maxTotalSize = 64 * 1024 * 1024
    static let maxEntries = 8192

    private var entries: [String: Entry] = [:]
    private var totalSize = 0

    /// The entry for this version of the file under the `types` table, made (and remembered) if needed;
    /// `contentType` is asked only then. The table outlives the cache: both belong to one configuration.
    mutating func entry(for path: String, identity: FileIdentity, types: MIMETable, defaultType: String,
                        contentType: () -> String) -> Entry {
        let table = ObjectIdentifier(types)
        if let entry = entries[path], entry.identity == identity, entry.types == table,
           entry.defaultType == defaultType { return entry }
        let entry = Entry(identity: identity, contentType: contentType(), types: table, defaultType: defaultType)
        if let old = entries[path] { totalSize -= old.bytes?.count ?? 0 }
        if entries.count >= FileCache.maxEntries { clear() }
        entries[path] = entry
        return entry
    }

    mutating func store(_ bytes: [UInt8], for path: String, identity: FileIdentity) {
        guard bytes.count <= FileCache.maxFileSize, bytes.count == identity.size,
              let entry = entries[path], entry.identity == identity, entry.bytes == nil else { return }
        if totalSize + bytes.count > FileCache.maxTotalSize {
            // Crude but bounded: start again rather than track recency on the hot path.
            clear()
            return
        }
        entries[path]!.bytes = bytes
        totalSize += bytes.count
    }

    private mutating func clear() {
        entries.removeAll(keepingCapacity: true)
        totalSize = 0
    }
}
