/// RFC 3986 §3.2.2–3.2.3 `host [ ":" port ]`, the only shape a Host field or an absolute-form authority may
/// have (RFC 9112 §3.2 makes anything else a 400): a reg-name or IPv4 address, or a bracketed IPv6 (or
/// IPvFuture) literal, then an optional all-digit port. Userinfo (`user@host`), paths, spaces and an
/// unclosed `[` never reach routing, logs or CGI's SERVER_NAME.
enum HostSyntax {
    static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !bytes.isEmpty else { return false }
        var i = 0
        if bytes[0] == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")),
                  isIPLiteral(UnsafeBufferPointer(rebasing: bytes[1..<close])) else { return false }
            i = close + 1
        } else {
            while i < bytes.count && bytes[i] != UInt8(ascii: ":") {
                if bytes[i] == UInt8(ascii: "%") {
                    guard i + 2 < bytes.count, PercentEncoding.hexValue(bytes[i + 1]) != nil,
                          PercentEncoding.hexValue(bytes[i + 2]) != nil else { return false }
                    i += 3
                    continue
                }
                guard isRegNameByte(bytes[i]) else { return false }
                i += 1
            }
            guard i > 0 else { return false }
        }
        guard i < bytes.count else { return true }
        // `host:` (an empty port) is allowed by the grammar.
        guard bytes[i] == UInt8(ascii: ":") else { return false }
        return bytes[(i + 1)...].allSatisfy(isDigit)
    }

    static func isValid(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { isValid($0) }
    }

    /// unreserved / sub-delims (pct-encoded is handled by the caller).
    private static func isRegNameByte(_ byte: UInt8) -> Bool {
        if PercentEncoding.isUnreserved(byte) { return true }
        switch byte {
        case UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("),
             UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"),
             UInt8(ascii: "="):
            return true
        default:
            return false
        }
    }

    /// The inside of `[...]`: IPvFuture (`v1.x`) or an IPv6 address, possibly with a trailing IPv4 part.
    private static func isIPLiteral(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !bytes.isEmpty else { return false }
        if bytes[0] | 0x20 == UInt8(ascii: "v") {
            guard let dot = bytes.firstIndex(of: UInt8(ascii: ".")), dot > 1, dot + 1 < bytes.count,
                  bytes[1..<dot].allSatisfy({ PercentEncoding.hexValue($0) != nil }) else { return false }
            return bytes[(dot + 1)...].allSatisfy { isRegNameByte($0) || $0 == UInt8(ascii: ":") }
        }
        return isIPv6(bytes)
    }

    /// RFC 3986's IPv6address: up to eight 16-bit groups of 1–4 hex digits, one `::` at most standing for
    /// the missing ones, the last two groups possibly written as a dotted IPv4 address.
    private static func isIPv6(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let colon = UInt8(ascii: ":")
        var groups = 0
        var compressed = false
        var i = 0
        if bytes.count >= 2 && bytes[0] == colon && bytes[1] == colon {
            compressed = true
            i = 2
            if i == bytes.count { return true }
        } else if bytes[0] == colon {
            return false
        }
        while i < bytes.count {
            var j = i
            while j < bytes.count && bytes[j] != colon && bytes[j] != UInt8(ascii: ".") { j += 1 }
            if j < bytes.count && bytes[j] == UInt8(ascii: ".") {
                // A trailing IPv4 address counts as two groups.
                guard isIPv4(UnsafeBufferPointer(rebasing: bytes[i...])) else { return false }
                groups += 2
                break
            }
            guard j > i, j - i <= 4, bytes[i..<j].allSatisfy({ PercentEncoding.hexValue($0) != nil }) else {
                return false
            }
            groups += 1
            if j == bytes.count { break }
            // bytes[j] is a colon: a second one right after is the `::`.
            if j + 1 < bytes.count && bytes[j + 1] == colon {
                guard !compressed else { return false }
                compressed = true
                i = j + 2
                if i == bytes.count { break }
            } else {
                guard j + 1 < bytes.count else { return false }
                i = j + 1
            }
        }
        return compressed ? groups < 8 : groups == 8
    }

    private static func isIPv4(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var parts = 0
        var i = 0
        while i <= bytes.count {
            var j = i
            var value = 0
            while j < bytes.count && isDigit(bytes[j]) && j - i < 3 {
                value = value * 10 + Int(bytes[j] &- UInt8(ascii: "0"))
                j += 1
            }
            guard j > i, value <= 255 else { return false }
            parts += 1
            if j == bytes.count { return parts == 4 }
            guard bytes[j] == UInt8(ascii: "."), parts < 4 else { return false }
            i = j + 1
        }
        return false
    }
}
