/// The page that answers an upload: the stored files as links and a link to the store's listing. A browser's
/// form post is sent there with 303 (`GET /store/?uploaded=a.txt&uploaded=b.txt`), so that reloading the
/// page shows it again instead of posting the files a second time.
enum UploadResult {
    /// The query parameter that names one stored file.
    static let parameter = "uploaded"
    /// Longer addresses are not redirected to: the browser must be able to send it back (request-line limit).
    static let maxLocationLength = 4096
    /// Names read from one query at most.
    static let maxNames = 256

    /// A form post from a browser: it asks for HTML (RFC 9110 §12.5.1), where curl and scripts send `*/*` or
    /// nothing and keep the 201 with its `Location`.
    static func isBrowserForm(_ headers: Headers) -> Bool {
        for value in headers.values(named: "accept") {
            for element in value.split(separator: ",") {
                let parts = element.split(separator: ";")
                guard let type = parts.first, type.trimmed().lowercased() == "text/html" else { continue }
                let refused = parts.dropFirst().contains { parameter in
                    let text = parameter.trimmed().lowercased()
                    return text.hasPrefix("q=") && Double(text.dropFirst(2)) == 0
                }
                if !refused { return true }
            }
        }
        return false
    }

    /// The file names of a result page's query, decoded; names that could not be a stored file (empty,
    /// hidden, with a "/" or a control character, not UTF-8) are dropped.
    static func names(inQuery query: String) -> [String] {
        var names: [String] = []
        for item in query.utf8.split(separator: UInt8(ascii: "&")) where names.count < maxNames {
            let prefix = parameter.utf8.count + 1
            guard item.count > prefix, item.prefix(prefix).elementsEqual((parameter + "=").utf8) else { continue }
            guard let bytes = percentDecoded(item.dropFirst(prefix)), bytes.first != UInt8(ascii: "."),
                  !bytes.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "/") }),
                  let name = String(validating: bytes, as: UTF8.self)
            else { continue }
            names.append(name)
        }
        return names
    }

    /// The page: `names` in the directory at `uriBase` (a decoded path ending with "/"), each a link unless
    /// `present` says it is no longer there.
    static func page(names: [String], present: [Bool]? = nil, uriBase: String) -> [UInt8] {
        let base = PercentEncoding.encodePath(uriBase)
        var out: [UInt8] = []
        out.reserveCapacity(1536 + names.count * 128)
        PageStyle.appendHead(title: "Upload complete", to: &out)
        out.append(contentsOf: "<h1>Uploaded \(names.count) file\(names.count == 1 ? "" : "s")</h1>\n<ul>\n".utf8)
        for (index, name) in names.enumerated() {
            if present?[index] ?? true {
                out.append(contentsOf: "<li><a href=\"".utf8)
                out.append(contentsOf: base.utf8)
                PercentEncoding.appendEncodedSegment(name.utf8, to: &out)
                out.append(contentsOf: "\">".utf8)
                HTMLEscaping.append(name, to: &out)
                out.append(contentsOf: "</a></li>\n".utf8)
            } else {
                out.append(contentsOf: "<li>".utf8)
                HTMLEscaping.append(name, to: &out)
                out.append(contentsOf: " (no longer here)</li>\n".utf8)
            }
        }
        out.append(contentsOf: "</ul>\n<p><a href=\"".utf8)
        out.append(contentsOf: base.utf8)
        out.append(contentsOf: "\">Every file in ".utf8)
        HTMLEscaping.append(uriBase, to: &out)
        out.append(contentsOf: "</a></p>\n".utf8)
        PageStyle.appendFooter(to: &out)
        return out
    }

    private static func percentDecoded(_ bytes: Substring.UTF8View) -> [UInt8]? {
        var out: [UInt8] = []
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "%") else {
                out.append(byte)
                index = bytes.index(after: index)
                continue
            }
            let high = bytes.index(after: index)
            guard high < bytes.endIndex, bytes.index(after: high) < bytes.endIndex,
                  let h = PercentEncoding.hexValue(bytes[high]),
                  let l = PercentEncoding.hexValue(bytes[bytes.index(after: high)]) else { return nil }
            out.append(h << 4 | l)
            index = bytes.index(high, offsetBy: 2)
        }
        return out
    }
}

private extension Substring {
    func trimmed() -> Substring {
        var text = self
        while text.first == " " || text.first == "\t" { text = text.dropFirst() }
        while text.last == " " || text.last == "\t" { text = text.dropLast() }
        return text
    }
}
