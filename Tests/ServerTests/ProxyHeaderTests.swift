import Testing
@testable import Server

private let signature = ProxyHeader.v2Signature

/// A v2 block: version 2, `command`, `family` byte, then `body` (addresses and TLVs) with its length.
private func v2(command: UInt8 = 1, family: UInt8 = 0x11, _ body: [UInt8]) -> [UInt8] {
    signature + [0x20 | command, family, UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
}

private func tlv(_ type: UInt8, _ value: [UInt8]) -> [UInt8] {
    [type, UInt8(value.count >> 8), UInt8(value.count & 0xFF)] + value
}

/// 198.51.100.7:5555 → 127.0.0.1:80.
private let ipv4Addresses: [UInt8] = [198, 51, 100, 7, 127, 0, 0, 1, 0x15, 0xB3, 0, 80]
/// [2001:db8::7]:5555 → [::1]:80.
private let ipv6Addresses: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [7]
    + [UInt8](repeating: 0, count: 15) + [1] + [0x15, 0xB3, 0, 80]
private let sslClient = tlv(0x20, [0x01, 0, 0, 0, 0] + tlv(0x21, Array("TLSv1.3".utf8)))

/// PROXY protocol v1 and v2 headers (HAProxy's proxy-protocol.txt): each case parsed whole, then fed one byte
/// more at a time: every prefix of a valid header is incomplete, and the bytes after it are left alone.
@Suite struct ProxyHeaderTests {
    static let valid: [(name: String, bytes: [UInt8], source: String?, tls: Bool)] = [
        ("v1 TCP4", Array("PROXY TCP4 203.0.113.9 127.0.0.1 4444 80\r\n".utf8), "203.0.113.9:4444", false),
        ("v1 TCP6", Array("PROXY TCP6 2001:DB8::0:7 ::1 65535 80\r\n".utf8), "[2001:db8::7]:65535", false),
        ("v1 TCP6 mapped IPv4", Array("PROXY TCP6 ::ffff:192.0.2.1 ::1 1 2\r\n".utf8), "192.0.2.1:1", false),
        ("v1 UNKNOWN", Array("PROXY UNKNOWN\r\n".utf8), nil, false),
        ("v1 UNKNOWN with addresses", Array("PROXY UNKNOWN ffff::1 ::1 1 2\r\n".utf8), nil, false),
        ("v1 longest", Array(("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
                              + "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n").utf8),
         "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535", false),
        ("v2 IPv4", v2(ipv4Addresses), "198.51.100.7:5555", false),
        ("v2 IPv6", v2(family: 0x21, ipv6Addresses), "[2001:db8::7]:5555", false),
        ("v2 IPv4 with SSL TLV", v2(ipv4Addresses + tlv(0x03, [1, 2, 3, 4]) + sslClient), "198.51.100.7:5555", true),
        ("v2 SSL TLV without the client bit", v2(ipv4Addresses + tlv(0x20, [0x00, 0, 0, 0, 0])),
         "198.51.100.7:5555", false),
        ("v2 LOCAL (health check)", v2(command: 0, family: 0x00, []), nil, false),
        ("v2 LOCAL ignores what follows", v2(command: 0, family: 0x11, ipv4Addresses + [0xFF]), nil, false),
        ("v2 UNSPEC", v2(family: 0x00, tlv(0x04, [])), nil, false),
        ("v2 UNIX", v2(family: 0x31, [UInt8](repeating: 0x2F, count: 216)), nil, false),
        ("v2 empty TLV", v2(ipv4Addresses + tlv(0x04, [])), "198.51.100.7:5555", false),
    ]

    static let invalid: [(name: String, bytes: [UInt8])] = [
        ("HTTP request", Array("GET / HTTP/1.1\r\n\r\n".utf8)),
        ("lower-case proxy", Array("proxy TCP4 1.2.3.4 1.2.3.4 1 2\r\n".utf8)),
        ("v1 without CR", Array("PROXY TCP4 1.2.3.4 1.2.3.4 1 2\n".utf8)),
        ("v1 unknown protocol", Array("PROXY UDP4 1.2.3.4 1.2.3.4 1 2\r\n".utf8)),
        ("v1 IPv6 in TCP4", Array("PROXY TCP4 ::1 ::1 1 2\r\n".utf8)),
        ("v1 IPv4 in TCP6", Array("PROXY TCP6 1.2.3.4 1.2.3.4 1 2\r\n".utf8)),
        ("v1 bad address", Array("PROXY TCP4 1.2.3.256 1.2.3.4 1 2\r\n".utf8)),
        ("v1 leading zero", Array("PROXY TCP4 01.2.3.4 1.2.3.4 1 2\r\n".utf8)),
        ("v1 name", Array("PROXY TCP4 localhost 1.2.3.4 1 2\r\n".utf8)),
        ("v1 port too large", Array("PROXY TCP4 1.2.3.4 1.2.3.4 65536 2\r\n".utf8)),
        ("v1 port not a number", Array("PROXY TCP4 1.2.3.4 1.2.3.4 -1 2\r\n".utf8)),
        ("v1 missing port", Array("PROXY TCP4 1.2.3.4 1.2.3.4 1\r\n".utf8)),
        ("v1 extra word", Array("PROXY TCP4 1.2.3.4 1.2.3.4 1 2 3\r\n".utf8)),
        ("v1 double space", Array("PROXY TCP4  1.2.3.4 1.2.3.4 1 2\r\n".utf8)),
        ("v1 over 107 bytes", Array(("PROXY UNKNOWN " + String(repeating: "x", count: 100) + "\r\n").utf8)),
        ("v1 never ends", Array(("PROXY TCP4 " + String(repeating: "1", count: 120)).utf8)),
        ("v2 version 1", signature + [0x11, 0x11, 0, 12] + ipv4Addresses),
        ("v2 unknown command", signature + [0x22, 0x11, 0, 12] + ipv4Addresses),
        ("v2 short IPv4 block", v2(Array(ipv4Addresses.prefix(11)))),
        ("v2 short IPv6 block", v2(family: 0x21, Array(ipv6Addresses.prefix(35)))),
        ("v2 unknown family", v2(family: 0x41, ipv4Addresses)),
        ("v2 TLV past the block", v2(ipv4Addresses + [0x20, 0, 9, 1, 0, 0, 0, 0])),
        ("v2 truncated TLV head", v2(ipv4Addresses + [0x20, 0])),
        ("v2 too long", signature + [0x21, 0x11, 0x10, 0x00]),
        ("v2 bad signature", [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0B, 0x21, 0x11, 0, 0]),
    ]

    @Test(arguments: valid)
    func validHeaderGivesTheClientAndLeavesWhatFollows(_ name: String, _ bytes: [UInt8], _ source: String?,
                                                      _ tls: Bool) {
        let request = Array("GET / HTTP/1.1\r\n".utf8)
        let buffer = Array("ignored".utf8) + bytes + request
        guard case .complete(let header, let length) = ProxyHeader.parse(buffer, from: 7) else {
            Issue.record("\(name): \(ProxyHeader.parse(buffer, from: 7))")
            return
        }
        #expect(length == bytes.count, "\(name)")
        #expect(header.source?.description == source, "\(name)")
        #expect(header.clientUsedTLS == tls, "\(name)")
        for end in 0..<bytes.count {
            #expect(ProxyHeader.parse(Array(bytes[..<end])) == .incomplete, "\(name) cut at \(end)")
        }
    }

    @Test(arguments: invalid)
    func malformedHeaderIsRefusedHoweverItArrives(_ name: String, _ bytes: [UInt8]) {
        #expect(ProxyHeader.parse(bytes) == .invalid, "\(name)")
        for end in 0..<bytes.count {
            let outcome = ProxyHeader.parse(Array(bytes[..<end]))
            #expect(outcome == .incomplete || outcome == .invalid, "\(name) cut at \(end): \(outcome)")
        }
    }

    @Test func nothingYetIsIncomplete() {
        #expect(ProxyHeader.parse([]) == .incomplete)
        #expect(ProxyHeader.parse(Array("abc".utf8), from: 3) == .incomplete)
    }
}

/// X-Forwarded-For read as nginx's realip with `real_ip_recursive on`, and the CIDR ranges it trusts.
@Suite struct ForwardedAddressTests {
    private static func headers(_ fields: [(String, String)]) throws -> Headers {
        var text = "GET / HTTP/1.1\r\nHost: x\r\n"
        for (name, value) in fields { text += "\(name): \(value)\r\n" }
        var parser = RequestParser()
        return try #require(try parser.parse(Array((text + "\r\n").utf8), from: 0)).headers
    }

    static let trusted = ["127.0.0.0/8", "10.0.0.0/8", "2001:db8::/32"].compactMap(AddressRange.init)

    static let cases: [(fields: [(String, String)], client: String?)] = [
        ([("X-Forwarded-For", "203.0.113.9")], "203.0.113.9:0"),
        // The rightmost untrusted address, never the leftmost (which the client may have written itself).
        ([("X-Forwarded-For", "6.6.6.6, 203.0.113.9, 10.1.2.3")], "203.0.113.9:0"),
        ([("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-For", "203.0.113.9,10.1.2.3 ,127.0.0.1")], "203.0.113.9:0"),
        // Every address trusted: the leftmost.
        ([("X-Forwarded-For", "10.0.0.1, 127.0.0.2")], "10.0.0.1:0"),
        ([("X-Forwarded-For", "2001:db8::5, 2001:DB9::1")], "[2001:db9::1]:0"),
        ([("X-Forwarded-For", "[2001:db9::1]:443, 2001:db8::5")], "[2001:db9::1]:443"),
        ([("X-Forwarded-For", "198.51.100.1:8080")], "198.51.100.1:8080"),
        ([("X-Forwarded-For", "::ffff:10.0.0.1, ::ffff:198.51.100.1")], "198.51.100.1:0"),
        // Garbage stops the walk at the last address read.
        ([("X-Forwarded-For", "203.0.113.9, unknown, 10.0.0.1")], "10.0.0.1:0"),
        ([("X-Forwarded-For", "unknown")], nil),
        ([("X-Forwarded-For", "1.2.3.4:99999")], nil),
        ([("X-Forwarded-For", "")], nil),
        ([], nil),
    ]

    @Test(arguments: cases)
    func clientIsTheRightmostUntrustedAddress(_ fields: [(String, String)], _ client: String?) throws {
        let found = ForwardedAddress.fromForwardedFor(try Self.headers(fields), trusted: Self.trusted)
        #expect(found?.description == client)
    }

    @Test func singleAddressHeaderIsTakenWhole() throws {
        #expect(ForwardedAddress.fromSingleAddress(try Self.headers([("X-Real-IP", " 192.0.2.4 ")]),
                                                   named: "x-real-ip")?.host == "192.0.2.4")
        #expect(ForwardedAddress.fromSingleAddress(try Self.headers([("X-Real-IP", "192.0.2.4, 1.1.1.1")]),
                                                   named: "x-real-ip") == nil)
    }

    static let ranges: [(range: String, inside: [String], outside: [String])] = [
        ("10.0.0.0/8", ["10.0.0.0", "10.255.255.255", "::ffff:10.1.1.1"], ["11.0.0.0", "9.255.255.255", "::a00:1"]),
        ("192.0.2.77/24", ["192.0.2.0", "192.0.2.255"], ["192.0.3.0"]),
        ("127.0.0.1", ["127.0.0.1"], ["127.0.0.2"]),
        ("0.0.0.0/0", ["1.2.3.4", "255.255.255.255"], ["::1", "2001:db8::1"]),
        ("2001:db8::/32", ["2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"], ["2001:db9::", "32.1.13.184"]),
        ("::/0", ["::1", "fe80::1", "1.2.3.4"], []),
        ("2001:db8::1/128", ["2001:db8::1"], ["2001:db8::2"]),
        ("2001:db8:0:0:8000::/65", ["2001:db8::8000:0:0:0"], ["2001:db8::7fff:0:0:0"]),
    ]

    @Test(arguments: ranges)
    func rangeContainsItsAddressesOnly(_ range: String, _ inside: [String], _ outside: [String]) throws {
        let parsed = try #require(AddressRange(range))
        for address in inside { #expect(parsed.contains(try #require(IPAddress(address))), "\(address) in \(range)") }
        for address in outside { #expect(!parsed.contains(try #require(IPAddress(address))), "\(address) not in \(range)") }
    }

    @Test(arguments: ["10.0.0.0/33", "::/129", "10.0.0.0/", "/8", "10.0.0/8", "example.com", "10.0.0.0/8/8", "1.2.3.4/-1", ""])
    func malformedRangeIsRefused(_ text: String) {
        #expect(AddressRange(text) == nil)
    }
}
