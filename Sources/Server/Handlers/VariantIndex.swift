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
    private struct Directory {
        let identity: FileIdentity
        /// Page name → the file names of its variants.
        let variants: [String: [String]]
        /// When the directory was last stat()ed and found to be this version; nil once the server wrote.
        var checkedAt: ContinuousClock.Instant?
    }

    /// How long a directory's stat is trusted.
    static let trustedFor = Duration.seconds(1)

    static let maxDirectories = 1024

    private var directories: [String: Directory] = [:]

    /// The file names of `name`'s variants in `directory` when its last stat is less than a second old; nil
    /// when the directory must be stat()ed again.
    func trustedVariantFileNames(of name: String, in directory: String, now: ContinuousClock.Instant) -> [String]? {
        guard let known = directories[directory], let checkedAt = known.checkedAt,
              now - checkedAt < VariantIndex.trustedFor else { return nil }
        return known.variants[name] ?? []
    }

    /// The file names of `name`'s variants in `directory` (whose stat gave `identity` at `now`); empty when
    /// none, or when the directory cannot be read.
    mutating func variantFileNames(of name: String, in directory: String, identity: FileIdentity,
                                   now: ContinuousClock.Instant) -> [String] {
        if var known = directories[directory], known.identity == identity {
            known.checkedAt = now
            directories[directory] = known
            return known.variants[name] ?? []
        }
        let variants = VariantIndex.read(directory)
        if directories.count >= VariantIndex.maxDirectories { directories.removeAll(keepingCapacity: true) }
        directories[directory] = Directory(identity: identity, variants: variants, checkedAt: now)
        return variants[name] ?? []
    }

    /// The server wrote files: every directory is stat()ed again on its next use.
    mutating func distrustAll() {
        for key in directories.keys { directories[key]?.checkedAt = nil }
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
