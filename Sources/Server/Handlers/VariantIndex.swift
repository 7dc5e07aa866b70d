#if canImport(Glibc)
import Glibc
#endif

/// Which names in a directory have language variants (`page.html` for `page.html.en`, `page.html.fr`), read
/// once per version of the directory: adding or removing a file changes the directory's mtime, and with it
/// its identity. A request for a missing file then costs a stat of its directory and a lookup, not a
/// directory read, which every 404 would otherwise pay. A directory's stat is trusted for a second (as ready
/// answers are), so a run of 404s in one directory costs one failed stat each; the server's own writes drop
/// that trust at once.
struct VariantIndex {
    /// A class: the table and the recent slot share it, and a lookup copies one reference.
    private final class Directory {
        let identity: FileIdentity
        /// Page name → the file names of its variants.
        let variants: [String: [String]]
        /// A second after the directory was last stat()ed and found to be this version; nil once the server
        /// wrote. (An end, not a start: a lookup then compares without subtracting.)
        var trustedUntil: ContinuousClock.Instant?

        init(identity: FileIdentity, variants: [String: [String]], checkedAt: ContinuousClock.Instant) {
            self.identity = identity
            self.variants = variants
            trustedUntil = checkedAt + VariantIndex.trustedFor
        }
    }

    /// How long a directory's stat is trusted.
    static let trustedFor = Duration.seconds(1)

    static let maxDirectories = 1024

    private var directories: [String: Directory] = [:]
    /// The directory looked up last, compared byte for byte before the table is hashed: a run of requests in
    /// one directory (a crawler's 404s) then hashes nothing.
    private var recentPath: [UInt8] = []
    private var recent: Directory?

    /// The file names of `name`'s variants in `directory` when its last stat is less than a second old; nil
    /// when the directory must be stat()ed again.
    mutating func trustedVariantFileNames(of name: String, in directory: String, now: ContinuousClock.Instant)
        -> [String]? {
        let variants = Array(directory.utf8).withUnsafeBufferPointer { trustedVariants(inDirectory: $0, now: now) }
        return variants.map { $0[name] ?? [] }
    }

    /// Page name → variant file names in `directory` (its path's bytes) when its last stat is less than a
    /// second old, empty when it has none at all; nil when the directory must be stat()ed again.
    mutating func trustedVariants(inDirectory directory: UnsafeBufferPointer<UInt8>, now: ContinuousClock.Instant)
        -> [String: [String]]? {
        let known: Directory
        if let recent, recentPath.count == directory.count,
           recentPath.withUnsafeBufferPointer({ VariantIndex.same($0, directory) }) {
            known = recent
        } else {
            guard let found = directories[String(decoding: directory, as: UTF8.self)] else { return nil }
            known = found
            recentPath = Array(directory)
            recent = found
        }
        guard let trustedUntil = known.trustedUntil, now < trustedUntil else { return nil }
        return known.variants
    }

    private static func same(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        a.count == b.count && (a.isEmpty || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
    }

    /// The file names of `name`'s variants in `directory` (whose stat gave `identity` at `now`); empty when
    /// none, or when the directory cannot be read.
    mutating func variantFileNames(of name: String, in directory: String, identity: FileIdentity,
                                   now: ContinuousClock.Instant) -> [String] {
        if let known = directories[directory], known.identity == identity {
            known.trustedUntil = now + VariantIndex.trustedFor
            return known.variants[name] ?? []
        }
        recent = nil
        let variants = VariantIndex.read(directory)
        if directories.count >= VariantIndex.maxDirectories { directories.removeAll(keepingCapacity: true) }
        directories[directory] = Directory(identity: identity, variants: variants, checkedAt: now)
        return variants[name] ?? []
    }

    /// The server wrote files: every directory is stat()ed again on its next use.
    mutating func distrustAll() {
        for directory in directories.values { directory.trustedUntil = nil }
    }

    /// Names only (no stat per entry); subdirectories are left out when readdir says what they are.
    private static func read(_ directory: String) -> [String: [String]] {
        guard let handle = opendir(directory) else { return [:] }
        defer { closedir(handle) }
        var variants: [String: [String]] = [:]
        while let entry = readdir(handle) {
            if entry.pointee.d_type == UInt8(DT_DIR) { continue }
            let name: String? = withUnsafeBytes(of: &entry.pointee.d_name) { raw in
                String(validating: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let name else { continue }
            // `page.html.fr.utf-8`: the charset comes after the language.
            let withoutCharset = CharsetNegotiation.suffix(of: name)?.base ?? name
            guard let dot = withoutCharset.lastIndex(of: "."), dot != withoutCharset.startIndex else { continue }
            let page = String(withoutCharset[..<dot])
            if !LanguageNegotiation.variants(of: page, among: [name]).isEmpty {
                variants[page, default: []].append(name)
            }
        }
        return variants
    }
}
