/// The built-in Content-Type list, used where no `types { }` block is given, and which types are text.
public enum MIMETypes {
    public static let defaultType = "application/octet-stream"

    /// The built-in table's type for a file name or path; text types carry `; charset=utf-8`; unknown →
    /// application/octet-stream (MIMETable.builtIn).
    public static func contentType(forPath path: String) -> String {
        MIMETable.builtIn.contentType(forPath: path)
    }

    /// The longest built-in extension ("webmanifest").
    static var maxExtensionLength: Int { MIMETable.builtIn.maxExtensionLength }

    /// Full header values, charset already appended.
    static var byExtension: [String: String] { MIMETable.builtIn.byExtension }

    /// The built-in list as (type, extensions) pairs, as a `types { }` block would give it.
    static let builtInTypes: [(type: String, extensions: [String])] = types.map {
        ($0.1, $0.0.split(separator: " ").map(String.init))
    }

    /// Types a browser decodes as text, which RFC 9110 §8.3.2 lets us label with the charset we serve in.
    static func isText(_ type: String) -> Bool {
        type.hasPrefix("text/") || type.hasSuffix("+xml") || type.hasSuffix("+json")
            || ["application/javascript", "application/json", "application/xml"].contains(type)
    }

    /// Mostly nginx's mime.types, plus current web formats (avif, mjs, wasm, opus) and source files as text.
    private static let types: [(String, String)] = [
        ("html htm shtml", "text/html"),
        ("css", "text/css"),
        ("js mjs", "application/javascript"),
        ("json map", "application/json"),
        ("jsonld", "application/ld+json"),
        ("webmanifest", "application/manifest+json"),
        ("xml xsl", "application/xml"),
        ("xhtml", "application/xhtml+xml"),
        ("rss", "application/rss+xml"),
        ("atom", "application/atom+xml"),
        ("txt text log conf ini", "text/plain"),
        ("csv", "text/csv"),
        ("tsv", "text/tab-separated-values"),
        ("md markdown", "text/markdown"),
        ("ics", "text/calendar"),
        ("vtt", "text/vtt"),
        ("yaml yml", "text/yaml"),
        ("toml", "text/plain"),
        ("sh bash", "text/x-shellscript"),
        ("py", "text/x-python"),
        ("php", "text/x-php"),
        ("pl", "text/x-perl"),
        ("rb", "text/x-ruby"),
        ("c h", "text/x-c"),
        ("cc cpp cxx hpp hh", "text/x-c++"),
        ("swift", "text/x-swift"),
        ("java", "text/x-java"),
        ("go", "text/x-go"),
        ("rs", "text/x-rust"),
        ("png", "image/png"),
        ("apng", "image/apng"),
        ("jpg jpeg jpe jfif", "image/jpeg"),
        ("gif", "image/gif"),
        ("webp", "image/webp"),
        ("avif", "image/avif"),
        ("svg svgz", "image/svg+xml"),
        ("ico", "image/x-icon"),
        ("bmp", "image/bmp"),
        ("tif tiff", "image/tiff"),
        ("heic", "image/heic"),
        ("jxl", "image/jxl"),
        ("mp4 m4v", "video/mp4"),
        ("webm", "video/webm"),
        ("ogv", "video/ogg"),
        ("mkv", "video/x-matroska"),
        ("mov", "video/quicktime"),
        ("avi", "video/x-msvideo"),
        ("mpeg mpg", "video/mpeg"),
        ("3gp", "video/3gpp"),
        ("ts", "video/mp2t"),
        ("m3u8", "application/vnd.apple.mpegurl"),
        ("mpd", "application/dash+xml"),
        ("ogg oga", "audio/ogg"),
        ("opus", "audio/opus"),
        ("mp3", "audio/mpeg"),
        ("wav", "audio/wav"),
        ("flac", "audio/flac"),
        ("m4a", "audio/mp4"),
        ("aac", "audio/aac"),
        ("mid midi", "audio/midi"),
        ("weba", "audio/webm"),
        ("pdf", "application/pdf"),
        ("zip", "application/zip"),
        ("gz tgz", "application/gzip"),
        ("bz2", "application/x-bzip2"),
        ("xz", "application/x-xz"),
        ("zst", "application/zstd"),
        ("7z", "application/x-7z-compressed"),
        ("rar", "application/vnd.rar"),
        ("tar", "application/x-tar"),
        ("jar", "application/java-archive"),
        ("deb", "application/vnd.debian.binary-package"),
        ("rpm", "application/x-rpm"),
        ("iso img dmg exe dll bin msi", "application/octet-stream"),
        ("apk", "application/vnd.android.package-archive"),
        ("wasm", "application/wasm"),
        ("woff", "font/woff"),
        ("woff2", "font/woff2"),
        ("ttf", "font/ttf"),
        ("otf", "font/otf"),
        ("eot", "application/vnd.ms-fontobject"),
        ("rtf", "application/rtf"),
        ("doc", "application/msword"),
        ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("xls", "application/vnd.ms-excel"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("ppt", "application/vnd.ms-powerpoint"),
        ("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
        ("odt", "application/vnd.oasis.opendocument.text"),
        ("ods", "application/vnd.oasis.opendocument.spreadsheet"),
        ("odp", "application/vnd.oasis.opendocument.presentation"),
        ("epub", "application/epub+zip"),
    ]
}
