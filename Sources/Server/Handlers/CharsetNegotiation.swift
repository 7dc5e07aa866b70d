/// Picks among variants that differ by charset (`page.html.fr.utf-8`, `page.html.fr.iso-8859-1`) by
/// `Accept-Charset` (RFC 9110 §12.5.2), as Apache's MultiViews does.
public enum CharsetNegotiation {
    /// The charset suffixes a variant file name may end with (lowercase), utf-8 first: the server's
    /// preference when the client states none.
    public static let known = ["utf-8", "iso-8859-1", "iso-8859-15", "windows-1252", "us-ascii", "utf-16",
                               "koi8-r", "shift_jis", "euc-jp", "gb2312", "big5"]

    /// The charset a file name ends with (`.utf-8`), lowercased, and the name without it; nil when none.
    public static func suffix(of name: String) -> (base: String, charset: String)? {
        guard let dot = name.lastIndex(of: ".") else { return nil }
        let charset = name[name.index(after: dot)...].lowercased()
        guard known.contains(charset) else { return nil }
        return (String(name[..<dot]), charset)
    }

    /// The best of `charsets` (the server's order) for the field, or nil when none is acceptable; without
    /// the field (or nothing valid in it) the first. A charset takes the weight of its own element, else of
    /// `*`; ties keep the server's order.
    public static func best(among charsets: [String], acceptCharset: String?) -> String? {
        let ranges = acceptCharset.map(parse) ?? []
        if ranges.isEmpty { return charsets.first }
        let star = ranges.first { $0.name == "*" }?.quality
        var best: (charset: String, quality: Int)?
        for charset in charsets {
            let quality = ranges.first { $0.name == charset.lowercased() }?.quality ?? star ?? 0
            if quality > 0, quality > best?.quality ?? 0 { best = (charset, quality) }
        }
        return best?.charset
    }

    /// `charset [ weight ]` elements, lowercased, weights in thousandths; malformed ones are skipped.
    static func parse(_ field: String) -> [(name: String, quality: Int)] {
        var result: [(name: String, quality: Int)] = []
        for element in field.split(separator: ",") {
            let parts = element.split(separator: ";")
            guard let first = parts.first else { continue }
            let name = first.trimmingSpaces().lowercased()
            guard !name.isEmpty, !name.contains(" ") else { continue }
            var quality = 1000
            for parameter in parts.dropFirst() {
                let text = parameter.trimmingSpaces().lowercased()
                guard text.hasPrefix("q=") else { continue }
                guard let value = Double(text.dropFirst(2)), (0...1).contains(value) else {
                    quality = -1
                    break
                }
                quality = Int((value * 1000).rounded())
            }
            if quality >= 0 { result.append((name, quality)) }
        }
        return result
    }
}

private extension Substring {
    func trimmingSpaces() -> Substring {
        var text = self
        while text.first == " " || text.first == "\t" { text = text.dropFirst() }
        while text.last == " " || text.last == "\t" { text = text.dropLast() }
        return text
    }
}
