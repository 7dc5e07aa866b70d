import Glibc

/// One entry of a directory, for a listing.
public struct DirectoryEntry: Equatable, Sendable {
    public var name: String
    public var isDirectory: Bool
    public var size: Int
    /// Seconds since the epoch.
    public var modified: Int

    public init(name: String, isDirectory: Bool, size: Int, modified: Int) {
        self.name = name
        self.isDirectory = isDirectory
        self.size = size
        self.modified = modified
    }
}

/// The autoindex page, nginx-style.
public enum DirectoryListing {
    /// Entries of a directory (without "." and ".."), or nil when it cannot be opened.
    /// Symlinks are followed (stat), as when the file is served. Entries whose link could not work are
    /// skipped so that every link on the page leads somewhere: a failing stat (broken symlink, no permission),
    /// a name that is not UTF-8 or that holds a control character (the request-target parser refuses those).
    /// Hidden files (a name starting with ".") are not listed, as nginx does: among them the directory where
    /// uploads wait until complete, which no request may reach.
    public static func entries(ofDirectory fsPath: String) -> [DirectoryEntry]? {
        guard let directory = opendir(fsPath) else { return nil }
        defer { closedir(directory) }
        let base = fsPath.hasSuffix("/") ? fsPath : fsPath + "/"
        var result: [DirectoryEntry] = []
        while let entry = readdir(directory) {
            let name: String? = withUnsafeBytes(of: &entry.pointee.d_name) { raw in
                let bytes = raw.prefix { $0 != 0 }
                if bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) { return nil }
                return String(validating: bytes, as: UTF8.self)
            }
            guard let name, !name.hasPrefix(".") else { continue }
            var info = stat()
            guard stat(base + name, &info) == 0 else { continue }
            result.append(DirectoryEntry(name: name, isDirectory: info.st_mode & S_IFMT == S_IFDIR,
                                         size: Int(info.st_size), modified: Int(info.st_mtim.tv_sec)))
        }
        return result
    }

    /// `Index of /path/`: directories first, then files, each sorted by name; names HTML-escaped, hrefs
    /// percent-encoded; sizes and dates shown. `uriPath` is the decoded request path and ends with "/"
    /// (the handler redirects first), since the hrefs are relative to it. Without `exactSize`, sizes are
    /// rounded as nginx's `autoindex_exact_size off` rounds them.
    public static func html(uriPath: String, entries: [DirectoryEntry], exactSize: Bool = true) -> [UInt8] {
        let sorted = sortedForListing(entries)
        var out: [UInt8] = []
        out.reserveCapacity(1024 + sorted.count * 160)
        PageStyle.appendHead(title: "Index of " + uriPath, to: &out)
        out.append(contentsOf: "<h1>Index of ".utf8)
        HTMLEscaping.append(uriPath, to: &out)
        out.append(contentsOf: "</h1>\n<table>\n".utf8)
        out.append(contentsOf: "<thead><tr><th>Name</th><th>Last modified</th><th>Size</th></tr></thead>\n".utf8)
        out.append(contentsOf: "<tbody>\n".utf8)
        if uriPath != "/" {
            out.append(contentsOf: "<tr><td><a href=\"../\">../</a></td><td></td><td></td></tr>\n".utf8)
        }
        for entry in sorted {
            out.append(contentsOf: "<tr><td><a href=\"".utf8)
            PercentEncoding.appendEncodedSegment(entry.name.utf8, to: &out)
            if entry.isDirectory { out.append(UInt8(ascii: "/")) }
            out.append(contentsOf: "\">".utf8)
            HTMLEscaping.append(entry.name, to: &out)
            if entry.isDirectory { out.append(UInt8(ascii: "/")) }
            out.append(contentsOf: "</a></td><td>".utf8)
            appendListingDate(entry.modified, to: &out)
            out.append(contentsOf: "</td><td>".utf8)
            if entry.isDirectory {
                out.append(UInt8(ascii: "-"))
            } else {
                out.append(contentsOf: (exactSize ? String(entry.size) : roundedSize(entry.size)).utf8)
            }
            out.append(contentsOf: "</td></tr>\n".utf8)
        }
        out.append(contentsOf: "</tbody>\n</table>\n".utf8)
        PageStyle.appendFooter(to: &out)
        return out
    }

    /// The listing in the location's format, with its Content-Type.
    static func page(uriPath: String, entries: [DirectoryEntry], of location: Location)
        -> (bytes: [UInt8], contentType: String)
    {
        switch location.autoindexFormat {
        case .html:
            return (html(uriPath: uriPath, entries: entries, exactSize: location.autoindexExactSize),
                    ErrorPages.htmlType)
        case .json:
            return (json(entries: entries), "application/json")
        }
    }

    /// nginx's `autoindex_format json`: one object a line, directories first, names as they are on disk
    /// (JSON-escaped), `mtime` as an HTTP date, `size` in bytes for files only.
    public static func json(entries: [DirectoryEntry]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(16 + entries.count * 96)
        for (index, entry) in sortedForListing(entries).enumerated() {
            out.append(contentsOf: (index == 0 ? "\n{ \"name\":\"" : ",\n{ \"name\":\"").utf8)
            appendJSONEscaped(entry.name, to: &out)
            out.append(contentsOf: "\", \"type\":\"".utf8)
            out.append(contentsOf: (entry.isDirectory ? "directory" : "file").utf8)
            out.append(contentsOf: "\", \"mtime\":\"".utf8)
            out.append(contentsOf: HTTPDate.format(entry.modified).utf8)
            out.append(UInt8(ascii: "\""))
            if !entry.isDirectory {
                out.append(contentsOf: ", \"size\":".utf8)
                out.append(contentsOf: String(entry.size).utf8)
            }
            out.append(contentsOf: " }".utf8)
        }
        out.append(contentsOf: "\n]\n".utf8)
        return out
    }

    /// nginx's rounding: bytes up to 9999, then K, M or G rounded to the nearest unit (half up).
    static func roundedSize(_ size: Int) -> String {
        let unit: Int
        let suffix: String
        switch size {
        case (1 << 30)...: (unit, suffix) = (1 << 30, "G")
        case (1 << 20)...: (unit, suffix) = (1 << 20, "M")
        case 10_000...: (unit, suffix) = (1 << 10, "K")
        default: return String(size)
        }
        return String(size / unit + (size % unit >= unit / 2 ? 1 : 0)) + suffix
    }

    /// Directories first, then files, each in byte order of their names.
    private static func sortedForListing(_ entries: [DirectoryEntry]) -> [DirectoryEntry] {
        entries.sorted { a, b in
            a.isDirectory != b.isDirectory ? a.isDirectory : a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
        }
    }

    /// RFC 8259 §7: quote, backslash and control characters escaped; the rest as UTF-8.
    private static func appendJSONEscaped(_ text: String, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default:
                out.append(byte)
            }
        }
    }

    /// `dd-Mon-yyyy hh:mm` in UTC, as nginx's autoindex shows dates.
    static func appendListingDate(_ seconds: Int, to out: inout [UInt8]) {
        let c = HTTPDate.components(seconds)
        HTTPDate.appendDigits(c.day, width: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        out.append(contentsOf: HTTPDate.monthNames[c.month - 1])
        out.append(UInt8(ascii: "-"))
        HTTPDate.appendDigits(c.year, width: 4, to: &out)
        out.append(UInt8(ascii: " "))
        HTTPDate.appendDigits(c.hour, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        HTTPDate.appendDigits(c.minute, width: 2, to: &out)
    }
}
