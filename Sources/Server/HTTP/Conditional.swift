/// An entity-tag (RFC 9110 §8.8.3): an opaque quoted string, possibly marked weak with `W/`.
public struct EntityTag: Hashable, Sendable {
    /// The characters between the quotes.
    public var opaque: String
    public var isWeak: Bool

    public init(opaque: String, isWeak: Bool = false) {
        self.opaque = opaque
        self.isWeak = isWeak
    }

    /// Parses exactly one entity-tag; nil when the text is anything else.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        var i = 0
        guard let tag = EntityTag.parse(bytes, at: &i), i == bytes.count else { return nil }
        self = tag
    }

    /// The field value: `"opaque"` or `W/"opaque"`.
    public var field: String { (isWeak ? "W/\"" : "\"") + opaque + "\"" }

    /// RFC 9110 §8.8.3.2: both strong and the same opaque tag.
    public func strongMatch(_ other: EntityTag) -> Bool {
        !isWeak && !other.isWeak && opaque == other.opaque
    }

    /// RFC 9110 §8.8.3.2: the same opaque tag, weak or not.
    public func weakMatch(_ other: EntityTag) -> Bool {
        opaque == other.opaque
    }

    /// `[W/] DQUOTE *etagc DQUOTE` at `i`; advances past it on success.
    static func parse(_ bytes: [UInt8], at i: inout Int) -> EntityTag? {
        var p = i
        var weak = false
        if p + 1 < bytes.count && bytes[p] == UInt8(ascii: "W") && bytes[p + 1] == UInt8(ascii: "/") {
            weak = true
            p += 2
        }
        guard p < bytes.count, bytes[p] == UInt8(ascii: "\"") else { return nil }
        p += 1
        let start = p
        // etagc = %x21 / %x23-7E / obs-text
        while p < bytes.count && bytes[p] != UInt8(ascii: "\"") {
            guard bytes[p] == 0x21 || bytes[p] >= 0x23 && bytes[p] != 0x7F else { return nil }
            p += 1
        }
        guard p < bytes.count else { return nil }
        let tag = EntityTag(opaque: String(decoding: bytes[start..<p], as: UTF8.self), isWeak: weak)
        i = p + 1
        return tag
    }
}

/// The validators of the selected representation: its entity-tag and Last-Modified (seconds since epoch).
public struct Validators: Sendable {
    public var etag: EntityTag?
    public var lastModified: Int?

    public init(etag: EntityTag?, lastModified: Int?) {
        self.etag = etag
        self.lastModified = lastModified
    }
}

/// What the conditional request fields decide (RFC 9110 §13.2.2).
public enum Precondition: Equatable, Sendable {
    case proceed
    case notModified
    case preconditionFailed
}

/// ETags for files and evaluation of If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since and
/// If-Range (RFC 9110 §13).
public enum Conditional {
    /// nginx's strong ETag `"hexmtime-hexsize"`; nanoseconds, when the file system has them, follow the
    /// seconds after a dot, so two writes of the same size within one second still change the tag.
    public static func etag(size: Int, modifiedSeconds: Int, modifiedNanoseconds: Int) -> EntityTag {
        func hex(_ value: Int) -> String { String(UInt64(bitPattern: Int64(value)), radix: 16) }
        var opaque = hex(modifiedSeconds)
        if modifiedNanoseconds != 0 { opaque += "." + hex(modifiedNanoseconds) }
        opaque += "-" + hex(size)
        return EntityTag(opaque: opaque)
    }

    static func etag(for file: FileIdentity) -> EntityTag {
        etag(size: file.size, modifiedSeconds: file.modifiedSeconds, modifiedNanoseconds: file.modifiedNanoseconds)
    }

    /// Evaluates the preconditions in RFC 9110 §13.2.2's order. `current` is nil when the target has no
    /// representation (a PUT creating a file). The caller evaluates only when the answer without
    /// preconditions would be 2xx or 412 (RFC 9110 §13.2.1), and If-Range separately with
    /// `ifRangeAllowsPartial`.
    public static func evaluate(_ headers: Headers, method: Method, current: Validators?) -> Precondition {
        switch method {
        case .connect, .options, .trace:
            // RFC 9110 §13.2.1: these do not select or modify a representation.
            return .proceed
        case .get, .head, .post, .put, .delete, .patch:
            break
        }
        let isRead = method == .get || method == .head
        // Step 1: If-Match, strong comparison (RFC 9110 §13.1.1).
        if let list = tagList(headers.values(named: "If-Match")) {
            let matches: Bool
            switch list {
            case .any: matches = current != nil
            case .tags(let tags):
                matches = current?.etag.map { etag in tags.contains { $0.strongMatch(etag) } } ?? false
            }
            if !matches { return .preconditionFailed }
        } else if let date = singleDate(headers.values(named: "If-Unmodified-Since")),
                  let modified = current?.lastModified {
            // Step 2: If-Unmodified-Since only without If-Match (RFC 9110 §13.1.4).
            if modified > date { return .preconditionFailed }
        }
        // Step 3: If-None-Match, weak comparison (RFC 9110 §13.1.2).
        if let list = tagList(headers.values(named: "If-None-Match")) {
            let matches: Bool
            switch list {
            case .any: matches = current != nil
            case .tags(let tags):
                matches = current?.etag.map { etag in tags.contains { $0.weakMatch(etag) } } ?? false
            }
            if matches { return isRead ? .notModified : .preconditionFailed }
        } else if isRead, let date = singleDate(headers.values(named: "If-Modified-Since")),
                  let modified = current?.lastModified {
            // Step 4: If-Modified-Since only for GET/HEAD without If-None-Match (RFC 9110 §13.1.3).
            if modified <= date { return .notModified }
        }
        return .proceed
    }

    /// Step 5 of RFC 9110 §13.2.2: whether a Range may be honoured. True without If-Range; with it, only when
    /// its entity-tag strongly matches or its date equals Last-Modified exactly (RFC 9110 §13.1.5). A weak
    /// or malformed validator does not match, so the whole representation is sent.
    public static func ifRangeAllowsPartial(_ headers: Headers, current: Validators) -> Bool {
        let values = headers.values(named: "If-Range")
        guard !values.isEmpty else { return true }
        guard values.count == 1 else { return false }
        let value = values[0]
        if let tag = EntityTag(value) {
            return current.etag.map { tag.strongMatch($0) } ?? false
        }
        guard let date = HTTPDate.parse(value), let modified = current.lastModified else { return false }
        return date == modified
    }

    enum TagList: Equatable {
        case any
        case tags([EntityTag])
    }

    /// `"*" / #entity-tag` across every field line; nil when the field is absent. Elements after anything
    /// malformed are dropped, which makes If-Match fail and If-None-Match not match: both the safe side.
    static func tagList(_ values: [String]) -> TagList? {
        guard !values.isEmpty else { return nil }
        var tags: [EntityTag] = []
        for value in values {
            let bytes = Array(value.utf8)
            var i = 0
            while i < bytes.count {
                let byte = bytes[i]
                if Headers.isOWS(byte) || byte == UInt8(ascii: ",") {
                    i += 1
                } else if byte == UInt8(ascii: "*") {
                    return .any
                } else if let tag = EntityTag.parse(bytes, at: &i) {
                    tags.append(tag)
                } else {
                    break
                }
            }
        }
        return .tags(tags)
    }

    /// The date of a field that must hold exactly one valid HTTP-date; nil means the field is ignored
    /// (RFC 9110 §13.1.3, §13.1.4).
    private static func singleDate(_ values: [String]) -> Int? {
        guard values.count == 1 else { return nil }
        return HTTPDate.parse(values[0])
    }
}
