#if canImport(Glibc)
import Glibc
#endif

/// Parsers for the scalar values directives take: sizes, durations and file-system paths.
enum ConfigValues {
    /// `1024`, `8k`, `1m`, `2g` (either case) → bytes; nil when malformed or overflowing.
    static func size(_ text: String) -> Int? {
        var digits = Substring(text)
        var multiplier = 1
        switch text.utf8.last {
        case UInt8(ascii: "k"), UInt8(ascii: "K"): multiplier = 1 << 10
        case UInt8(ascii: "m"), UInt8(ascii: "M"): multiplier = 1 << 20
        case UInt8(ascii: "g"), UInt8(ascii: "G"): multiplier = 1 << 30
        default: break
        }
        if multiplier != 1 { digits = digits.dropLast() }
        guard let value = decimal(digits) else { return nil }
        let (bytes, overflow) = value.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : bytes
    }

    /// `30` (seconds), `500ms`, `30s`, `5m`, `1h`, `1d`, or a sum written together like `1m30s`; nil when
    /// malformed or overflowing.
    static func duration(_ text: String) -> Duration? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return nil }
        var index = 0
        var milliseconds: Int64 = 0
        while index < bytes.count {
            let digitsStart = index
            while index < bytes.count && isDigit(bytes[index]) { index += 1 }
            guard let value = decimal(Substring(decoding: bytes[digitsStart..<index], as: UTF8.self)) else {
                return nil
            }
            let unitStart = index
            while index < bytes.count && !isDigit(bytes[index]) { index += 1 }
            let scale: Int64
            switch String(decoding: bytes[unitStart..<index], as: UTF8.self) {
            case "ms": scale = 1
            case "s": scale = 1_000
            case "m": scale = 60_000
            case "h": scale = 3_600_000
            case "d": scale = 86_400_000
            // A bare number means seconds, and only as the whole value (`30`), as in nginx.
            case "" where digitsStart == 0: scale = 1_000
            default: return nil
            }
            let (part, overflow) = Int64(value).multipliedReportingOverflow(by: scale)
            guard !overflow else { return nil }
            let (sum, overflowSum) = milliseconds.addingReportingOverflow(part)
            guard !overflowSum else { return nil }
            milliseconds = sum
        }
        return .milliseconds(milliseconds)
    }

    /// Digits only, no sign; nil when empty, not decimal or overflowing.
    static func decimal(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy(isDigit) else { return nil }
        return Int(text)
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// `path` made absolute against `directory` (itself absolute) and lexically normalised: no `.`, `..` or
    /// repeated slashes left. A trailing slash is kept when asked (alias targets rely on it, as in nginx).
    static func absolutePath(_ path: String, relativeTo directory: String, keepTrailingSlash: Bool = false)
        -> String
    {
        let joined = path.hasPrefix("/") ? path : directory + "/" + path
        var parts: [Substring] = []
        for part in joined.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        var result = "/" + parts.joined(separator: "/")
        if keepTrailingSlash && path.hasSuffix("/") && result != "/" { result += "/" }
        return result
    }

    /// The directory part of an absolute path (`/etc/webserv/a.conf` → `/etc/webserv`).
    static func directory(of path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }

    /// The process's working directory, to anchor a relative configuration path.
    static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "/" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The directories of `$PATH`, in order.
    static func environmentSearchPath() -> [String] {
        guard let raw = getenv("PATH") else { return [] }
        return String(cString: raw).split(separator: ":").map(String.init)
    }

    /// The first executable regular file called `name` in `searchPath`.
    static func findExecutable(_ name: String, in searchPath: [String]) -> String? {
        for directory in searchPath where directory.hasPrefix("/") {
            let candidate = absolutePath(name, relativeTo: directory)
            var info = stat()
            guard stat(candidate, &info) == 0 else { continue }
            if info.st_mode & S_IFMT == S_IFREG && info.st_mode & 0o111 != 0 { return candidate }
        }
        return nil
    }
}
