#if canImport(Glibc)
import Glibc
#endif

/// Directory listings already rendered. One stays valid while its directory keeps the same identity (an
/// entry added, removed or renamed changes the directory's mtime), and only within the wall-clock second it
/// was made: a file growing in place changes its own mtime but not its directory's, so the sizes and dates
/// on a page lag reality by a second at most, as with lighttpd's stat cache.
struct ListingCache {
    private struct Entry {
        let identity: FileIdentity
        let second: Int
        let html: [UInt8]
    }

    static let maxEntries = 256

    private var entries: [String: Entry] = [:]

    func listing(of directory: String, uriPath: String, identity: FileIdentity) -> [UInt8]? {
        guard let entry = entries[ListingCache.key(directory, uriPath)], entry.identity == identity,
              entry.second == time(nil) else { return nil }
        return entry.html
    }

    mutating func store(_ html: [UInt8], of directory: String, uriPath: String, identity: FileIdentity) {
        if entries.count >= ListingCache.maxEntries { entries.removeAll(keepingCapacity: true) }
        entries[ListingCache.key(directory, uriPath)] = Entry(identity: identity, second: time(nil), html: html)
    }

    /// The page shows the URI path (alias locations map several to one directory).
    private static func key(_ directory: String, _ uriPath: String) -> String { directory + "\u{0}" + uriPath }
}
