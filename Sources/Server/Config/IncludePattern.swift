#if canImport(Glibc)
import Glibc
#endif

/// The files an `include` names: one path, or a pattern with `*`, `?` or `[...]` in its last component,
/// matched against the directory's entries with opendir/readdir (glob(3) is not on the brief's list) and
/// taken in byte order, as glob(3) sorts them in the C locale. A pattern matching nothing includes nothing
/// (nginx); a leading dot is matched only by a pattern that starts with one.
enum IncludePattern {
    /// The files to include, in order, or why the pattern is refused.
    enum Expansion: Equatable {
        case files([String])
        /// A wildcard outside the last component.
        case wildcardInDirectory
    }

    /// `path` is absolute.
    static func expand(_ path: String) -> Expansion {
        guard hasWildcard(path.utf8) else { return .files([path]) }
        let directory = ConfigValues.directory(of: path)
        guard !hasWildcard(directory.utf8) else { return .wildcardInDirectory }
        let pattern = Array(path.utf8.dropFirst(directory == "/" ? 1 : directory.utf8.count + 1))
        guard let stream = opendir(directory) else { return .files([]) }
        defer { closedir(stream) }
        var names: [[UInt8]] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                Array(raw.prefix { $0 != 0 })
            }
            if name == [UInt8(ascii: ".")] || name == [UInt8(ascii: "."), UInt8(ascii: ".")] { continue }
            if name.first == UInt8(ascii: "."), pattern.first != UInt8(ascii: ".") { continue }
            if matches(name[...], pattern[...]) { names.append(name) }
        }
        names.sort { $0.lexicographicallyPrecedes($1) }
        let prefix = directory == "/" ? "/" : directory + "/"
        return .files(names.map { prefix + String(decoding: $0, as: UTF8.self) })
    }

    static func hasWildcard<Bytes: Sequence>(_ bytes: Bytes) -> Bool where Bytes.Element == UInt8 {
        bytes.contains { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "[") }
    }

    /// fnmatch(3) without flags, over bytes: `*` any run, `?` one byte, `[a-z]`, `[!x]` or `[^x]` one of a set.
    static func matches(_ name: ArraySlice<UInt8>, _ pattern: ArraySlice<UInt8>) -> Bool {
        var name = name
        var pattern = pattern
        while let p = pattern.first {
            switch p {
            case UInt8(ascii: "*"):
                pattern = pattern.dropFirst()
                if pattern.isEmpty { return true }
                // Each split point in turn; names are short, so backtracking is cheap.
                var rest = name
                while true {
                    if matches(rest, pattern) { return true }
                    guard !rest.isEmpty else { return false }
                    rest = rest.dropFirst()
                }
            case UInt8(ascii: "?"):
                guard !name.isEmpty else { return false }
                name = name.dropFirst()
                pattern = pattern.dropFirst()
            case UInt8(ascii: "["):
                guard let byte = name.first, let (matched, after) = bracket(byte, pattern) else {
                    // An unclosed `[` is an ordinary byte.
                    guard name.first == p else { return false }
                    name = name.dropFirst()
                    pattern = pattern.dropFirst()
                    continue
                }
                guard matched else { return false }
                name = name.dropFirst()
                pattern = after
            default:
                guard name.first == p else { return false }
                name = name.dropFirst()
                pattern = pattern.dropFirst()
            }
        }
        return name.isEmpty
    }

    /// Whether `byte` is in the set opening `pattern` (at its `[`), and the pattern after the set; nil when the
    /// set is not closed.
    private static func bracket(_ byte: UInt8, _ pattern: ArraySlice<UInt8>) -> (Bool, ArraySlice<UInt8>)? {
        var index = pattern.index(after: pattern.startIndex)
        var negated = false
        if index < pattern.endIndex, pattern[index] == UInt8(ascii: "!") || pattern[index] == UInt8(ascii: "^") {
            negated = true
            index += 1
        }
        var found = false
        var first = true
        while index < pattern.endIndex {
            let low = pattern[index]
            // A `]` right after the opening is a member, not the end.
            if low == UInt8(ascii: "]") && !first { return (found != negated, pattern[(index + 1)...]) }
            first = false
            if index + 2 < pattern.endIndex, pattern[index + 1] == UInt8(ascii: "-"),
               pattern[index + 2] != UInt8(ascii: "]") {
                if (low...max(low, pattern[index + 2])).contains(byte) { found = true }
                index += 3
            } else {
                if low == byte { found = true }
                index += 1
            }
        }
        return nil
    }
}
