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
        let page: (bytes: [UInt8], contentType: String)
    }

    static let maxEntries = 256

    private var entries: [String: Entry] = [:]

    func listing(of directory: String, uriPath: String, for location: Location, identity: FileIdentity)
        -> (bytes: [UInt8], contentType: String)?
    {
        guard let entry = entries[ListingCache.key(directory, uriPath, location)], entry.identity == identity,
              entry.second == time(nil) else { return nil }
        return entry.page
    }

    mutating func store(_ page: (bytes: [UInt8], contentType: String), of directory: String, uriPath: String,
                        for location: Location, identity: FileIdentity) {
        if entries.count >= ListingCache.maxEntries { entries.removeAll(keepingCapacity: true) }
        entries[ListingCache.key(directory, uriPath, location)] = Entry(identity: identity, second: time(nil),
                                                                       page: page)
    }

    /// The page shows the URI path (alias locations map several to one directory), in the location's format.
    private static func key(_ directory: String, _ uriPath: String, _ location: Location) -> String {
        let format = location.autoindexFormat == .json ? "j" : location.autoindexExactSize ? "h" : "r"
        return directory + "\u{0}" + uriPath + "\u{0}" + format
    }
}
