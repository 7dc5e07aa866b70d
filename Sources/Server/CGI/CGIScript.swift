/// The CGI script a request path names: the first segment ending in a `cgi` extension, and what follows it.
struct CGIScript: Equatable, Sendable {
    /// The script's URI path, decoded ("/cgi-bin/app.py"): SCRIPT_NAME (RFC 3875 §4.1.13).
    var scriptName: String
    /// The decoded path after the script's segment ("/users/7"), "" when none: RFC 3875's PATH_INFO (§4.1.5).
    var extraPath: String
    /// The program that runs the script (from `cgi .ext /path/to/interpreter;`).
    var interpreter: String
    /// The script's file-system path: SCRIPT_FILENAME and the interpreter's first argument.
    var filePath: String
    /// The directory holding the script: the child's working directory, so relative paths in it work.
    var directory: String

    /// The script named by the decoded request path `path` under `location`; nil when no segment ends in one of
    /// the location's extensions, or when the script's segment cannot be mapped inside the location (the
    /// request is then served, or refused, as a plain file). Matching is per segment and from the left, so
    /// `/cgi-bin/app.py/users/7` runs `app.py` and `/a.php.txt` runs nothing. A segment must have a name
    /// before its extension: `/.php` is a dot-file, not a script.
    static func find(in path: String, location: Location) -> CGIScript? {
        guard !location.cgi.isEmpty else { return nil }
        let slash = UInt8(ascii: "/")
        let bytes = Array(path.utf8)
        var segmentStart = 0
        var index = 0
        while index <= bytes.count {
            if index == bytes.count || bytes[index] == slash {
                if index > segmentStart, let interpreter = interpreter(for: bytes[segmentStart..<index], in: location) {
                    let scriptName = String(decoding: bytes[..<index], as: UTF8.self)
                    guard let filePath = PathResolver.fileSystemPath(for: scriptName, in: location) else { return nil }
                    return CGIScript(scriptName: scriptName,
                                     extraPath: String(decoding: bytes[index...], as: UTF8.self),
                                     interpreter: interpreter, filePath: filePath,
                                     directory: directoryName(of: filePath))
                }
                segmentStart = index + 1
            }
            index += 1
        }
        return nil
    }

    /// The same for a parsed target: a path that carried an encoded "/" names no file, so it runs no script.
    static func find(for target: RequestTarget, location: Location) -> CGIScript? {
        target.hasEncodedSlash ? nil : find(in: target.path, location: location)
    }

    /// The interpreter of the longest extension `segment` ends in (".cgi.php" before ".php"), nil when none.
    private static func interpreter(for segment: ArraySlice<UInt8>, in location: Location) -> String? {
        var best: (length: Int, interpreter: String)?
        for (ext, interpreter) in location.cgi {
            let length = ext.utf8.count
            guard segment.count > length, segment.suffix(length).elementsEqual(ext.utf8) else { continue }
            if best == nil || length > best!.length { best = (length, interpreter) }
        }
        return best?.interpreter
    }

    /// Everything before the last "/" ("/" for a file at the top).
    private static func directoryName(of filePath: String) -> String {
        let bytes = Array(filePath.utf8)
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return "." }
        return slash == 0 ? "/" : String(decoding: bytes[..<slash], as: UTF8.self)
    }
}
