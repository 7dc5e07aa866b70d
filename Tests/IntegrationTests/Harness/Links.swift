import Foundation

/// What a browser does with the links of a page: find them, unescape them, resolve them.
enum Links {
    /// The values of every `href="..."` (and `src="..."` when asked) in document order, HTML-unescaped.
    static func extract(from html: String, attributes: [String] = ["href"]) -> [String] {
        var found: [(Int, String)] = []
        let bytes = [UInt8](html)
        for attribute in attributes {
            let marker = [UInt8]("\(attribute)=\"")
            var start = 0
            while let range = bytes.firstRange(of: marker, from: start) {
                guard let close = bytes[range.upperBound...].firstIndex(of: UInt8(ascii: "\"")) else { break }
                found.append((range.lowerBound, htmlUnescape(Array(bytes[range.upperBound..<close]).text)))
                start = close + 1
            }
        }
        return found.sorted { $0.0 < $1.0 }.map(\.1)
    }

    static func htmlUnescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&#x27;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    static func htmlEscape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;")
            .replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// Whether an href needs nothing more from a browser: only RFC 3986 characters, with no `?` or `#`
    /// that would cut a file name short.
    static func isPercentEncoded(_ href: String) -> Bool {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/%".utf8)
        return href.utf8.allSatisfy { allowed.contains($0) }
    }

    /// The path a browser requests for `href` found on the page at `base` (a path), or nil when the link
    /// leaves the site (a scheme, `//host`) or only points inside the page.
    static func resolve(_ href: String, against base: String) -> String? {
        var reference = href
        if let hash = reference.firstIndex(of: "#") { reference = String(reference[..<hash]) }
        if reference.isEmpty { return nil }
        if reference.hasPrefix("//") || reference.range(of: "^[A-Za-z][A-Za-z0-9+.-]*:", options: .regularExpression) != nil {
            return nil
        }
        var query = ""
        if let mark = reference.firstIndex(of: "?") {
            query = String(reference[mark...])
            reference = String(reference[..<mark])
        }
        let merged: String
        if reference.hasPrefix("/") {
            merged = reference
        } else {
            let directory = base.hasSuffix("/") ? base : String(base[...base.lastIndex(of: "/")!])
            merged = directory + reference
        }
        return browserEncode(removeDotSegments(merged)) + query
    }

    /// RFC 3986 §5.2.4.
    static func removeDotSegments(_ path: String) -> String {
        var output: [Substring] = []
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        for (i, segment) in segments.enumerated() {
            let last = i == segments.count - 1
            if segment == "." {
                if last { output.append("") }
            } else if segment == ".." {
                if !output.isEmpty { output.removeLast() }
                if last { output.append("") }
            } else {
                output.append(segment)
            }
        }
        return "/" + output.joined(separator: "/")
    }

    /// Percent-encodes what a browser would not put on the wire as is (spaces, non-ASCII, quotes).
    static func browserEncode(_ path: String) -> String {
        var out = ""
        for byte in path.utf8 {
            if byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "<") && byte != UInt8(ascii: ">") {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}
