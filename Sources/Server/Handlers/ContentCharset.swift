/// nginx's `charset NAME;`: a file whose type is one of `charset_types` (nginx's default list) is labelled
/// `; charset=NAME` instead of the utf-8 the server puts on text types. Only files: the pages the server
/// writes itself are UTF-8 whatever the location says, and a charset variant (`page.html.fr.iso-8859-1`)
/// keeps the charset its name states.
enum ContentCharset {
    static let types: Set<Substring> = ["text/html", "text/xml", "text/plain", "text/vnd.wap.wml",
                                        "application/javascript", "application/rss+xml"]

    static func label(_ response: inout Response, with charset: String) {
        let contentLocation = response.headers.first { $0.name == "Content-Location" }?.value
        if let contentLocation, CharsetNegotiation.suffix(of: contentLocation) != nil { return }
        // A file's type is the first of its rendered lines (`FileCache.Entry.headerLines`).
        let prefix = "Content-Type: ".utf8
        guard response.headerLines.starts(with: prefix),
              let end = response.headerLines.firstIndex(of: UInt8(ascii: "\r")) else { return }
        let type = String(decoding: response.headerLines[prefix.count..<end], as: UTF8.self)
        let mediaType = type.prefix { $0 != ";" }
        guard types.contains(mediaType) else { return }
        response.headerLines.replaceSubrange(prefix.count..<end, with: (mediaType + "; charset=" + charset).utf8)
    }
}
