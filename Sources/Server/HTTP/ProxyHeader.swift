/// The PROXY protocol header a load balancer sends before the client's bytes (HAProxy's proxy-protocol.txt):
/// version 1 is one text line, version 2 a binary block. It says whom the proxy accepted the connection from.
struct ProxyHeader: Equatable {
    /// The client's address and port as the proxy saw them; nil when the header carries none (v2 LOCAL, such as
    /// HAProxy's health checks, v1 `UNKNOWN`, v2 UNSPEC or UNIX families): the socket's own address stands.
    var source: Endpoint?
    /// v2 only: a PP2_TYPE_SSL field with the PP2_CLIENT_SSL bit, the client spoke TLS to the proxy.
    var clientUsedTLS = false

    enum Outcome: Equatable {
        /// What arrived so far can still begin a valid header.
        case incomplete
        /// Not a PROXY header, or a malformed one: the connection must close with nothing served.
        case invalid
        /// The header, and how many bytes it took: what follows is the client's own data.
        case complete(ProxyHeader, length: Int)
    }

    /// A v1 line is at most 107 bytes, CRLF included (the specification's worst case).
    static let maximumV1Length = 107
    /// A v2 block as large as this is refused: HAProxy's own blocks, TLVs included, are a few hundred bytes.
    static let maximumV2Length = 4096
    static let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]
    private static let v1Signature = Array("PROXY ".utf8)

    /// Parses the header at the start of `bytes[start...]`. Pure: the same bytes, the same outcome, however
    /// they were split across reads.
    static func parse(_ bytes: [UInt8], from start: Int = 0) -> Outcome {
        let available = bytes.count - start
        guard available > 0 else { return .incomplete }
        if bytes[start] == v1Signature[0] {
            guard bytes[start..<start + min(available, 6)].elementsEqual(v1Signature.prefix(available)) else {
                return .invalid
            }
            return parseV1(bytes[start...])
        }
        guard bytes[start..<start + min(available, 12)].elementsEqual(v2Signature.prefix(available)) else {
            return .invalid
        }
        return parseV2(bytes[start...])
    }

    // MARK: Version 1

    /// `PROXY TCP4|TCP6 source destination source-port destination-port\r\n`, or `PROXY UNKNOWN ...\r\n`.
    private static func parseV1(_ bytes: ArraySlice<UInt8>) -> Outcome {
        let limit = bytes.startIndex + min(bytes.count, maximumV1Length)
        guard let newline = bytes[bytes.startIndex..<limit].firstIndex(of: UInt8(ascii: "\n")) else {
            return bytes.count >= maximumV1Length ? .invalid : .incomplete
        }
        guard newline > bytes.startIndex, bytes[newline - 1] == UInt8(ascii: "\r") else { return .invalid }
        let line = bytes[(bytes.startIndex + v1Signature.count)..<(newline - 1)]
        let length = newline + 1 - bytes.startIndex
        let words = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard let protocolName = words.first else { return .invalid }
        if protocolName.elementsEqual("UNKNOWN".utf8) {
            // The specification: the rest of the line is to be ignored.
            return .complete(ProxyHeader(), length: length)
        }
        let isIPv6: Bool
        if protocolName.elementsEqual("TCP4".utf8) {
            isIPv6 = false
        } else if protocolName.elementsEqual("TCP6".utf8) {
            isIPv6 = true
        } else {
            return .invalid
        }
        guard words.count == 5,
              let source = address(words[1], ipv6: isIPv6), address(words[2], ipv6: isIPv6) != nil,
              let sourcePort = port(words[3]), port(words[4]) != nil else { return .invalid }
        return .complete(ProxyHeader(source: Endpoint(host: source.text, port: sourcePort)), length: length)
    }

    private static func address(_ word: ArraySlice<UInt8>, ipv6: Bool) -> IPAddress? {
        guard !word.isEmpty, word.allSatisfy({ $0 > 0x20 && $0 < 0x7F }),
              word.contains(UInt8(ascii: ":")) == ipv6 else { return nil }
        return IPAddress(String(decoding: word, as: UTF8.self))
    }

    /// Decimal 0–65535, at most five digits.
    private static func port(_ word: ArraySlice<UInt8>) -> UInt16? {
        guard (1...5).contains(word.count) else { return nil }
        var value = 0
        for byte in word {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value <= 65535 ? UInt16(value) : nil
    }

    // MARK: Version 2

    private static let commandLocal: UInt8 = 0x0
    private static let commandProxy: UInt8 = 0x1
    private static let familyUnspecified: UInt8 = 0x0
    private static let familyIPv4: UInt8 = 0x1
    private static let familyIPv6: UInt8 = 0x2
    private static let familyUnix: UInt8 = 0x3
    private static let typeSSL: UInt8 = 0x20
    private static let clientSSL: UInt8 = 0x01

    /// 12-byte signature, version and command, family and transport, a 16-bit length, then the addresses
    /// and the TLV fields (each skipped by its own length) filling that length.
    private static func parseV2(_ bytes: ArraySlice<UInt8>) -> Outcome {
        let base = bytes.startIndex
        guard bytes.count >= 16 else { return .incomplete }
        let versionAndCommand = bytes[base + 12]
        let command = versionAndCommand & 0x0F
        guard versionAndCommand >> 4 == 2, command == commandLocal || command == commandProxy else { return .invalid }
        let family = bytes[base + 13] >> 4
        let length = 16 + (Int(bytes[base + 14]) << 8 | Int(bytes[base + 15]))
        guard length <= maximumV2Length else { return .invalid }
        guard bytes.count >= length else { return .incomplete }
        let block = bytes[(base + 16)..<(base + length)]
        // LOCAL: the proxy speaks for itself (a health check); whatever follows is ignored.
        if command == commandLocal { return .complete(ProxyHeader(), length: length) }

        var header = ProxyHeader()
        // The addresses' size by family (RFC: PROXY protocol v2, 2.2): source and destination, then ports.
        let addressLength: Int
        switch family {
        case familyUnspecified: addressLength = 0
        case familyIPv4: addressLength = 12
        case familyIPv6: addressLength = 36
        case familyUnix: addressLength = 216
        default: return .invalid
        }
        guard block.count >= addressLength else { return .invalid }
        let start = block.startIndex
        if family == familyIPv4 {
            header.source = Endpoint(host: IPAddress(ipv4: block[start..<start + 4]).text,
                                     port: bigEndian16(block, at: start + 8))
        } else if family == familyIPv6 {
            header.source = Endpoint(host: IPAddress(ipv6: block[start..<start + 16]).text,
                                     port: bigEndian16(block, at: start + 32))
        }
        var index = block.startIndex + addressLength
        while index < block.endIndex {
            guard block.endIndex - index >= 3 else { return .invalid }
            let type = block[index]
            let valueLength = Int(bigEndian16(block, at: index + 1))
            let value = (index + 3)..<(index + 3 + valueLength)
            guard value.upperBound <= block.endIndex else { return .invalid }
            // PP2_TYPE_SSL: a client byte, a 32-bit verify result, then sub-fields.
            if type == typeSSL, valueLength >= 5, block[value.lowerBound] & clientSSL != 0 {
                header.clientUsedTLS = true
            }
            index = value.upperBound
        }
        return .complete(header, length: length)
    }

    private static func bigEndian16(_ bytes: ArraySlice<UInt8>, at index: Int) -> UInt16 {
        UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
    }
}
