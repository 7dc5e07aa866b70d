#if canImport(Glibc)
import Glibc
#endif

/// Which names in a directory have language variants (`page.html` for `page.html.en`, `page.html.fr`), read
/// once per version of the directory: adding or removing a file changes the directory's mtime, and with it
/// its identity. A request for a missing file then costs a stat of its directory and a lookup, not a
/// directory read, which every 404 would otherwise pay.
struct VariantIndex {
    private struct Directory {
        let identity: FileIdentity
        /// Page name → the file names of its variants.
        let variants: [String: [String]]
    }

    static let maxDirectories = 1024

    private var directories: [String: Directory] = [:]

    /// The file names of `name`'s variants in `directory` (whose stat gave `identity`); empty when none,
    /// or when the directory cannot be read.
    mutating func variantFileNames(of name: String, in directory: String, identity: FileIdentity) -> [String] {
        if let known = directories[directory], known.identity == identity { return known.variants[name] ?? [] }
        let variants = VariantIndex.read(directory)
        if directories.count >= VariantIndex.maxDirectories { directories.removeAll(keepingCapacity: true) }
        directories[directory] = Directory(identity: identity, variants: variants)
        return variants[name] ?? []
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
