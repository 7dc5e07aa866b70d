/// One element of `Accept-Language`: a language range, lowercased, and its weight in thousandths.
public struct LanguageRange: Equatable, Sendable {
    public var range: String
    public var quality: Int

    public init(_ range: String, quality: Int = 1000) {
        self.range = range
        self.quality = quality
    }
}

/// A language variant of a resource: `page.html.en-US` is the `en-US` variant of `page.html`, and
/// `page.html.fr.iso-8859-1` its `fr` variant in ISO-8859-1.
public struct LanguageVariant: Equatable, Sendable {
    public var tag: String
    public var fileName: String
    /// Lowercase, one of `CharsetNegotiation.known`; nil when the name states none.
    public var charset: String?

    public init(tag: String, fileName: String, charset: String? = nil) {
        self.tag = tag
        self.fileName = fileName
        self.charset = charset
    }
}

/// Picks the variant a client prefers by `Accept-Language` (RFC 9110 §12.5.4, RFC 4647), as Apache's
/// MultiViews does for `page.html` when `page.html.en`, `page.html.fr`… exist.
public enum LanguageNegotiation {
    /// Parses a field value (join several field lines with ","). Elements that are not a language range with
    /// an optional valid `q` (RFC 9110 §12.4.2) are skipped.
    public static func parse(_ field: String) -> [LanguageRange] {
        var result: [LanguageRange] = []
        for element in field.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: true) {
            let pieces = element.split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: false)
            let range = Headers.trimmed(ArraySlice(pieces[0]))
            guard range.elementsEqual("*".utf8) || isLanguageTag(range, primaryLengths: 1...8) else { continue }
            var quality = 1000
            var valid = true
            for parameter in pieces.dropFirst() {
                let text = Headers.trimmed(ArraySlice(parameter))
                guard text.count >= 2, asciiLowercased(text[text.startIndex]) == UInt8(ascii: "q"),
                      text[text.startIndex + 1] == UInt8(ascii: "=")
                else { continue }
                guard let q = qvalue(text.dropFirst(2)) else {
                    valid = false
                    break
                }
                quality = q
            }
            guard valid else { continue }
            result.append(LanguageRange(String(decoding: range, as: UTF8.self).lowercased(), quality: quality))
        }
        return result
    }

    /// The best of `tags` (in the server's order) for the field, or nil when none is acceptable. Without the
    /// field (or with nothing valid in it) every variant is acceptable and the first is chosen.
    ///
    /// A variant takes the weight of the longest range that matches it by basic filtering (RFC 4647 §3.3.1:
    /// `en` matches `en-US`); weight 0 excludes it. A variant no range matches that way still qualifies when
    /// it equals a range truncated subtag by subtag (RFC 4647 §3.4 lookup: `en-US` accepts `en`), and
    /// failing that takes the weight of `*`. Among equal weights a direct match beats a lookup match, a
    /// longer lookup match beats a shorter one, and both beat `*`; remaining ties keep the server's order.
    public static func bestTag(among tags: [String], acceptLanguage: String?) -> String? {
        // An absent field accepts every language (RFC 9110 §12.5.4); one with no valid element is read so too.
        let ranges = acceptLanguage.map(parse) ?? []
        if ranges.isEmpty { return tags.first }
        var best: (tag: String, score: Score)? = nil
        for tag in tags {
            guard let score = score(tag.lowercased(), ranges), score.quality > 0 else { continue }
            if let current = best, (current.score.quality, current.score.rank) >= (score.quality, score.rank) {
                continue
            }
            best = (tag, score)
        }
        return best?.tag
    }

    /// Convenience over `bestTag` for variants found by `variants(of:among:)`.
    public static func best(of variants: [LanguageVariant], acceptLanguage: String?) -> LanguageVariant? {
        guard let tag = bestTag(among: variants.map(\.tag), acceptLanguage: acceptLanguage) else { return nil }
        return variants.first { $0.tag == tag }
    }

    /// `variants` with those of `language` (a tag, or a prefix of one: `en` for `en-GB`) first, the order
    /// kept otherwise: the server's preference for an absent `Accept-Language`, for ties and as the fallback.
    public static func preferring(_ language: String?, in variants: [LanguageVariant]) -> [LanguageVariant] {
        guard let language else { return variants }
        let isPreferred = { (variant: LanguageVariant) -> Bool in
            let tag = variant.tag.lowercased()
            return tag == language || tag.hasPrefix(language + "-")
        }
        return variants.filter(isPreferred) + variants.filter { !isPreferred($0) }
    }

    /// The language variants of `fileName` among a directory's entry names, sorted by tag so the server's
    /// order does not depend on readdir(). A suffix is a tag when its primary subtag is an ISO 639-1 code,
    /// so `page.html.bak`, `.old` or `.gz` are not mistaken for languages; `br` is left out because
    /// `page.html.br` is far more often a brotli-compressed copy than Breton.
    public static func variants(of fileName: String, among names: [String]) -> [LanguageVariant] {
        let prefix = fileName + "."
        var found: [LanguageVariant] = []
        for name in names where name.hasPrefix(prefix) {
            var tag = String(name.dropFirst(prefix.count))
            var charset: String?
            if let split = CharsetNegotiation.suffix(of: tag) { (tag, charset) = (split.base, split.charset) }
            let bytes = Array(tag.utf8)[...]
            guard isLanguageTag(bytes, primaryLengths: 2...2), iso639Codes.contains(tag.prefix(2).lowercased())
            else { continue }
            found.append(LanguageVariant(tag: tag, fileName: name, charset: charset))
        }
        // By tag, then by charset in the server's order of preference; a variant stating none comes last.
        let rank = { (variant: LanguageVariant) -> Int in
            variant.charset.flatMap(CharsetNegotiation.known.firstIndex(of:)) ?? CharsetNegotiation.known.count
        }
        return found.sorted { ($0.tag.lowercased(), rank($0)) < ($1.tag.lowercased(), rank($1)) }
    }

    /// ISO 639-1 two-letter codes, less `br`.
    private static let iso639Codes: Set<String> = Set("""
        aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo bs ca ce ch co cr cs cu cv cy da de dv dz
        ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik
        io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml
        mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd
        se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi
        vo wa wo xh yi yo za zh zu
        """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))

    /// A variant's weight, and how closely it matched to break ties: `Int.max` for a direct match, the
    /// length of the truncated range for a lookup match, 0 for `*`.
    private typealias Score = (quality: Int, rank: Int)

    private static func score(_ tag: String, _ ranges: [LanguageRange]) -> Score? {
        var direct: (length: Int, quality: Int)? = nil
        var star: Int? = nil
        var lookup: Score? = nil
        for element in ranges {
            if element.range == "*" {
                if star == nil { star = element.quality }
                continue
            }
            if tag == element.range || tag.hasPrefix(element.range + "-") {
                let length = element.range.utf8.count
                if direct == nil || length > direct!.length { direct = (length, element.quality) }
                continue
            }
            guard element.quality > 0 else { continue }
            var truncated = Substring(element.range)
            while let dash = truncated.lastIndex(of: "-") {
                truncated = truncated[..<dash]
                // RFC 4647 §3.4: a singleton left at the end is removed along with what follows it.
                if let last = truncated.lastIndex(of: "-"),
                   truncated.distance(from: last, to: truncated.endIndex) == 2 {
                    continue
                }
                if truncated == tag {
                    let candidate = (quality: element.quality, rank: truncated.utf8.count)
                    if lookup == nil || candidate > lookup! { lookup = candidate }
                    break
                }
            }
        }
        if let direct { return (direct.quality, Int.max) }
        if let lookup { return lookup }
        if let star { return (star, 0) }
        return nil
    }

    /// `1*8ALPHA *("-" 1*8alphanum)` (RFC 4647 §2.1), with the primary subtag's length restricted.
    private static func isLanguageTag(_ bytes: ArraySlice<UInt8>, primaryLengths: ClosedRange<Int>) -> Bool {
        var subtagLength = 0
        var isPrimary = true
        for byte in bytes {
            if byte == UInt8(ascii: "-") {
                guard isPrimary ? primaryLengths.contains(subtagLength) : subtagLength > 0 else { return false }
                isPrimary = false
                subtagLength = 0
                continue
            }
            let letter = asciiLowercased(byte) &- UInt8(ascii: "a") < 26
            guard letter || (!isPrimary && isDigit(byte)) else { return false }
            subtagLength += 1
            guard subtagLength <= 8 else { return false }
        }
        return isPrimary ? primaryLengths.contains(subtagLength) : subtagLength > 0
    }

    /// `( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )` in thousandths (RFC 9110 §12.4.2).
    private static func qvalue(_ text: ArraySlice<UInt8>) -> Int? {
        guard let first = text.first, first == UInt8(ascii: "0") || first == UInt8(ascii: "1") else { return nil }
        var rest = text.dropFirst()
        var value = first == UInt8(ascii: "1") ? 1000 : 0
        if rest.isEmpty { return value }
        guard rest.removeFirst() == UInt8(ascii: "."), rest.count <= 3 else { return nil }
        var scale = 100
        for byte in rest {
            guard isDigit(byte) else { return nil }
            value += Int(byte - UInt8(ascii: "0")) * scale
            scale /= 10
        }
        return value <= 1000 ? value : nil
    }
}
