import Testing
@testable import Server

/// Parses `fields` (CRLF-separated lines) under a request line, as the server would see them.
private func parsedHead(_ fields: String, version: String = "HTTP/1.1") throws -> RequestHead {
    var parser = RequestParser()
    let head = try parser.parse(Array("GET / \(version)\r\n\(fields)\r\n".utf8), from: 0)
    return try #require(head)
}

@Suite struct HeadersTests {
    @Test func lookupIgnoresNameCaseAndReturnsTheFirstValue() throws {
        let headers = try parsedHead("Host: a\r\nX-Thing:  one \r\nx-thing: two\r\n").headers
        #expect(headers["x-THING"] == "one")
        #expect(headers["host"] == "a")
        #expect(headers["X-Thin"] == nil)
        #expect(headers["X-Things"] == nil)
        #expect(headers.values(named: "X-THING") == ["one", "two"])
        #expect(headers.values(named: "Missing") == [])
        #expect(headers.contains("HOST"))
        #expect(!headers.contains("Hos"))
        #expect(headers.count == 3)
    }

    @Test func forEachKeepsOrderAndSpelling() throws {
        let headers = try parsedHead("Host: a\r\nX-A: 1\r\nx-a: 2\r\nEmpty:\r\n").headers
        var seen: [String] = []
        headers.forEach { name, value in seen.append("\(name)=\(value)") }
        #expect(seen == ["Host=a", "X-A=1", "x-a=2", "Empty="])
    }

    @Test func pairsAndLiteralsBuildTheSameHeaders() {
        let literal: Headers = ["Host": "example.com", "Accept": "a", "accept": "b"]
        let pairs = Headers([(name: "Host", value: "example.com"), (name: "Accept", value: "a"),
                             (name: "accept", value: "b")])
        for headers in [literal, pairs] {
            #expect(headers["HOST"] == "example.com")
            #expect(headers.values(named: "Accept") == ["a", "b"])
            #expect(headers.count == 3)
        }
        #expect(Headers().count == 0)
        #expect(Headers()["Host"] == nil)
    }

    static let tokenCases: [(fields: String, name: String, token: String, expected: Bool)] = [
        ("Connection: close\r\n", "Connection", "close", true),
        ("connection: CLOSE\r\n", "Connection", "close", true),
        ("Connection: keep-alive, Close\r\n", "Connection", "close", true),
        ("Connection: keep-alive ,  close  \r\n", "connection", "close", true),
        ("Connection: ,,close,\r\n", "Connection", "close", true),
        ("Connection: keep-alive\r\nConnection: close\r\n", "Connection", "close", true),
        ("Connection: closed\r\n", "Connection", "close", false),
        ("Connection: clos\r\n", "Connection", "close", false),
        ("Connection: keep-alive\r\n", "Connection", "close", false),
        ("X-Connection: close\r\n", "Connection", "close", false),
        ("Expect: 100-Continue\r\n", "Expect", "100-continue", true),
        ("Expect:\r\n", "Expect", "100-continue", false),
    ]

    @Test(arguments: tokenCases)
    func listFieldContainsTokenCaseInsensitively(_ c: (fields: String, name: String, token: String, expected: Bool))
        throws {
        let headers = try parsedHead("Host: a\r\n" + c.fields).headers
        #expect(headers.contains(c.name, token: c.token) == c.expected)
    }

    static let keepAliveCases: [(version: String, fields: String, keepAlive: Bool)] = [
        ("HTTP/1.1", "", true),
        ("HTTP/1.1", "Connection: close\r\n", false),
        ("HTTP/1.1", "Connection: keep-alive, close\r\n", false),
        ("HTTP/1.1", "Connection: upgrade\r\n", true),
        ("HTTP/1.0", "", false),
        ("HTTP/1.0", "Connection: Keep-Alive\r\n", true),
        ("HTTP/1.0", "Connection: close\r\n", false),
        ("HTTP/1.0", "CONNECTION:   KEEP-ALIVE  \r\n", true),
        ("HTTP/1.0", "Connection: upgrade ,keep-alive\r\n", true),
        ("HTTP/1.0", "Connection: keep-alives\r\n", false),
        ("HTTP/1.0", "Connection: keep-alive\r\nConnection: close\r\n", false),
        ("HTTP/1.1", "Connection: ,,close,\r\n", false),
        ("HTTP/1.1", "Connection: closed\r\n", true),
        ("HTTP/1.1", "Connection:\r\n", true),
        ("HTTP/1.1", "X-Connection: close\r\nConnectio: close\r\n", true),
    ]

    /// The parser notes the Connection options as it passes the field; read back from the headers (a head
    /// built by hand), they are the same.
    @Test(arguments: keepAliveCases)
    func keepAliveFollowsVersionAndConnection(_ c: (version: String, fields: String, keepAlive: Bool)) throws {
        let head = try parsedHead("Host: a\r\n" + c.fields, version: c.version)
        #expect(head.wantsKeepAlive == c.keepAlive)
        let rebuilt = RequestHead(method: head.method, methodToken: head.methodToken, target: head.target,
                                  version: head.version, headers: head.headers, headLength: head.headLength)
        #expect(rebuilt.connectionOptions == head.connectionOptions)
    }

    @Test func continueIsExpectedOnlyFromHTTP11() throws {
        #expect(try parsedHead("Host: a\r\nExpect: 100-continue\r\n").expectsContinue)
        #expect(try !parsedHead("Host: a\r\n").expectsContinue)
        #expect(try !parsedHead("Host: a\r\nExpect: 100-continue\r\n", version: "HTTP/1.0").expectsContinue)
    }

    /// Absent names are settled by their length alone; present ones, of any length (past 63 too), and
    /// names of a present length that are not there still answer right, parsed or appended.
    @Test func lookupsAgreeWithTheFieldsWhateverTheirLength() throws {
        let long = String(repeating: "x", count: 70)
        let longer = String(repeating: "y", count: 90)
        let parsed = try parsedHead("Host: a\r\nAccept: */*\r\n\(long): 1\r\n").headers
        var appended = Headers([("Host", "a"), ("Accept", "*/*")])
        appended.append(name: long, value: "1")
        for headers in [parsed, appended] {
            #expect(headers["HOST"] == "a")
            #expect(headers[long.uppercased()] == "1")
            #expect(headers[longer] == nil)
            #expect(headers["expect"] == nil)          // the length of "accept", not its name
            #expect(headers["range"] == nil)
            #expect(!headers.contains("If-None-Match"))
            #expect(headers.values(named: "accept") == ["*/*"])
        }
        #expect(Headers()["host"] == nil)
    }
}
