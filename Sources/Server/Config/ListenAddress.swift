/// Parses `listen` arguments (`[host:]port`, `host`, `[v6]:port`, `*:port`) into canonical endpoints, so that
/// two spellings of one address compare equal.
enum ListenAddress {
    enum Failure: Error, Equatable {
        case invalidPort
        case hostNotFound
    }

    static let defaultPort: UInt16 = 80

    static func parse(_ text: String) -> Result<Endpoint, Failure> {
        let hostPart: Substring
        var portPart: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return .failure(.hostNotFound) }
            hostPart = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return .failure(.hostNotFound) }
                portPart = rest.dropFirst()
            }
            guard let host = ipv6(hostPart) else { return .failure(.hostNotFound) }
            return endpoint(host: host, port: portPart)
        }
        if let colon = text.lastIndex(of: ":") {
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
        } else if text.utf8.allSatisfy(ConfigValues.isDigit) {
            return endpoint(host: "0.0.0.0", port: Substring(text))
        } else {
            hostPart = Substring(text)
        }
        let host: String
        switch hostPart {
        case "*": host = "0.0.0.0"
        case "localhost": host = "127.0.0.1"
        default:
            guard let numeric = ipv4(hostPart) else { return .failure(.hostNotFound) }
            host = numeric
        }
        return endpoint(host: host, port: portPart)
    }

    private static func endpoint(host: String, port: Substring?) -> Result<Endpoint, Failure> {
        guard let port else { return .success(Endpoint(host: host, port: defaultPort)) }
        guard let value = ConfigValues.decimal(port), (1...65535).contains(value) else {
            return .failure(.invalidPort)
        }
        return .success(Endpoint(host: host, port: UInt16(value)))
    }

    /// Dotted-quad IPv4 in canonical form (`127.000.0.1` → `127.0.0.1`); nil otherwise.
    static func ipv4(_ text: Substring) -> String? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var octets: [Int] = []
        for part in parts {
            guard part.utf8.count <= 3, let value = ConfigValues.decimal(part), value <= 255 else { return nil }
            octets.append(value)
        }
        return octets.map(String.init).joined(separator: ".")
    }

    /// IPv6 text in RFC 5952 canonical form (lower case, no leading zeros, longest zero run as `::`); nil
    /// when malformed. A trailing dotted IPv4 part (`::ffff:1.2.3.4`) is accepted.
    static func ipv6(_ text: Substring) -> String? {
        guard let groups = ipv6Groups(text) else { return nil }
        var bestStart = -1, bestLength = 0, runStart = -1
        for (index, group) in groups.enumerated() {
            if group == 0 {
                if runStart < 0 { runStart = index }
                let length = index - runStart + 1
                if length > bestLength { bestStart = runStart; bestLength = length }
            } else {
                runStart = -1
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard bestLength >= 2 else { return hex.joined(separator: ":") }
        let head = hex[..<bestStart].joined(separator: ":")
        let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
        return head + "::" + tail
    }

    private static func ipv6Groups(_ text: Substring) -> [UInt16]? {
        let halves = splitAtDoubleColon(text)
        guard halves.count <= 2 else { return nil }
        var head: [UInt16] = []
        var tail: [UInt16] = []
        guard parseGroups(halves[0], into: &head, ipv4Allowed: halves.count == 1) else { return nil }
        if halves.count == 2 {
            guard parseGroups(halves[1], into: &tail, ipv4Allowed: true) else { return nil }
            guard head.count + tail.count <= 7 else { return nil }
            return head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        return head.count == 8 ? head : nil
    }

    private static func parseGroups(_ text: Substring, into groups: inout [UInt16], ipv4Allowed: Bool) -> Bool {
        if text.isEmpty { return true }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        for (index, part) in parts.enumerated() {
            if part.contains(".") {
                guard ipv4Allowed, index == parts.count - 1, let dotted = ipv4(part) else { return false }
                let octets = dotted.split(separator: ".").compactMap { UInt16($0) }
                groups.append(octets[0] << 8 | octets[1])
                groups.append(octets[2] << 8 | octets[3])
                continue
            }
            guard (1...4).contains(part.utf8.count), part.utf8.allSatisfy(isHexDigit),
                  let value = UInt16(part, radix: 16) else { return false }
            groups.append(value)
        }
        return true
    }

    /// Splits at each `::` (IPv6's zero-run marker); more than one `::` gives more than two pieces.
    private static func splitAtDoubleColon(_ text: Substring) -> [Substring] {
        var pieces: [Substring] = []
        var start = text.startIndex
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(after: index)
            if text[index] == ":" && next < text.endIndex && text[next] == ":" {
                pieces.append(text[start..<index])
                start = text.index(after: next)
                index = start
                continue
            }
            index = next
        }
        pieces.append(text[start...])
        return pieces
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        ConfigValues.isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte | 0x20)
    }
}
