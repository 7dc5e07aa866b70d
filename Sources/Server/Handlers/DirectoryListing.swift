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
    public static func entries(ofDirectory fsPath: String) -> [DirectoryEntry]? { nil }

    /// `Index of /path/`: directories first, then files, each sorted by name; names HTML-escaped, hrefs
    /// percent-encoded; sizes and dates shown.
    public static func html(uriPath: String, entries: [DirectoryEntry]) -> [UInt8] { [] }
}
