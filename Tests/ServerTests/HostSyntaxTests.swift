import Testing
@testable import Server

/// RFC 3986 host [":" port], the one shape a Host field or absolute-form authority may take (RFC 9112 §3.2).
@Suite struct HostSyntaxTests {
    static let valid = [
        "a", "localhost", "example.com", "example.com.", "_", "my_host", "xn--bcher-kva.example", "127.0.0.1",
        "localhost:8080", "host:", "1.2.3.999", "a%41b", "sub-delims!$&'()*+,;=", "[::1]", "[::1]:8080",
        "[::]", "[2001:db8::7]:80", "[1:2:3:4:5:6:7:8]", "[::ffff:127.0.0.1]", "[fe80::1:2]", "[v1.fe80::a+en1]",
        "[1:2:3:4:5:6:1.2.3.4]",
    ]

    static let invalid = [
        "", "a b/c", "../../etc", "evil.example/x", "user@host", "localhost:abc", "[::1", "::1", "[::1]x",
        "[::1]:8o", ":80", "a%4", "a%zz", "h\\x", "h\"x", "[1:2:3:4:5:6:7:8:9]", "[1::2::3]", "[12345::]",
        "[::1.2.3]", "[::256.1.1.1]", "[:1]", "[1:]", "[]", "[v.x]", "a\tb", "h:8080:1", "é.example",
        "[1:2:3:4:5:6:7]",
    ]

    @Test(arguments: valid)
    func validHostIsAccepted(_ host: String) {
        #expect(HostSyntax.isValid(host))
    }

    @Test(arguments: invalid)
    func invalidHostIsRefused(_ host: String) {
        #expect(!HostSyntax.isValid(host))
    }

    @Test(arguments: ["a b/c", "../../etc", "evil.example/x", "user@host", "localhost:abc", "[::1"])
    func requestWithInvalidHostIsBadRequest(_ host: String) {
        var parser = RequestParser()
        let bytes = Array("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n".utf8)
        let error = #expect(throws: HTTPError.self) { try parser.parse(bytes, from: 0) }
        #expect(error?.status.code == 400)
    }

    @Test func emptyHostIsBadRequestInHTTP11AndAllowedInHTTP10() throws {
        var parser = RequestParser()
        let error = #expect(throws: HTTPError.self) { try parser.parse(Array("GET / HTTP/1.1\r\nHost:\r\n\r\n".utf8), from: 0) }
        #expect(error?.status.code == 400)
        var old = RequestParser()
        #expect(try old.parse(Array("GET / HTTP/1.0\r\nHost:\r\n\r\n".utf8), from: 0) != nil)
    }

    @Test(arguments: ["_", "example.com.", "host:", "[::1]:8080"])
    func unusualButValidHostIsParsed(_ host: String) throws {
        var parser = RequestParser()
        let head = try parser.parse(Array("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n".utf8), from: 0)
        #expect(head?.headers["Host"] == host)
    }
}
