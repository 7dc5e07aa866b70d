/// Content-Type by file extension: the built-in table or one `types { }` block's (the locations inheriting
/// it share the instance). Values are whole header values, charset already appended.
public final class MIMETable: Sendable {
    /// Extension (lower case) → header value.
    let byExtension: [String: String]
    /// Longer "extensions" are not looked up: the scan back from the end stops there.
    let maxExtensionLength: Int

    /// `types`: (media type, extensions) pairs in order, a later one winning for a repeated extension, laid
    /// over `base` (an earlier block of the same level).
    public init(types: [(type: String, extensions: [String])], over base: MIMETable? = nil) {
        var table = base?.byExtension ?? [:]
        for (type, extensions) in types {
            let value = MIMETable.headerValue(type)
            for name in extensions { table[name.lowercased()] = value }
        }
        byExtension = table
        maxExtensionLength = table.keys.map(\.utf8.count).max() ?? 0
    }

    /// The built-in table (MIMETypes).
    public static let builtIn = MIMETable(types: MIMETypes.builtInTypes)

    /// Text types carry `; charset=utf-8` (RFC 9110 §8.3.2: we say the charset we serve in).
    public static func headerValue(_ type: String) -> String {
        MIMETypes.isText(type) ? type + "; charset=utf-8" : type
    }

    /// The type for a file name or path, `defaultType` (a header value) when its extension is unknown.
    public func contentType(forPath path: String, defaultType: String = MIMETypes.defaultType) -> String {
        knownType(forPath: path) ?? defaultType
    }

    /// The type the table gives the path's extension: what follows the last "." of the last path component,
    /// compared case-insensitively; nil without one or when unknown.
    public func knownType(forPath path: String) -> String? {
        // Scan back from the end: only the extension is read, whatever the length of the path.
        let utf8 = path.utf8
        var start = utf8.endIndex
        var length = 0
        while true {
            guard start != utf8.startIndex, length <= maxExtensionLength else { return nil }
            let previous = utf8.index(before: start)
            let byte = utf8[previous]
            if byte == UInt8(ascii: "/") { return nil }
            if byte == UInt8(ascii: ".") {
                // "name." has no extension, nor has ".profile" (a dot opening the name hides it).
                guard length > 0, previous != utf8.startIndex,
                      utf8[utf8.index(before: previous)] != UInt8(ascii: "/") else { return nil }
                break
            }
            start = previous
            length += 1
        }
        // Extensions fit the small-string storage: no allocation for the lookup.
        var extensionText = String(Substring(utf8[start...]))
        if extensionText.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) {
            extensionText = extensionText.lowercased()
        }
        return byExtension[extensionText]
    }
}
