import Foundation
import Testing
@testable import Server

/// Ready answers: used only for plain GETs, trusted for a second, then checked against the file; dropped
/// when the file changes or the server writes.
@Suite struct HotResponsesTests {
    private static func head(_ text: String) throws -> RequestHead {
        var parser = RequestParser()
        return try #require(try parser.parse(Array(text.utf8), from: 0))
    }

    /// A routed GET of a real file, its identity, and the table with its answer remembered at `start`.
    private struct Fixture {
        let directory: String
        let path: String
        let local: Endpoint
        let hot = HotResponses()
        let start = ContinuousClock.now
        let answer = Response(status: .ok, contentType: "text/plain", body: .bytes(Array("cached".utf8)))

        init() throws {
            directory = FileManager.default.temporaryDirectory.path + "/webserv-hot-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            path = directory + "/a.txt"
            try Data("cached".utf8).write(to: URL(fileURLWithPath: path))
            let config = try ConfigParser.parse(text: "server { listen 127.0.0.1:8080; root \(directory); }",
                                                sourcePath: directory + "/w.conf")
            guard case .success(let endpoint) = ListenAddress.parse("127.0.0.1:8080") else { throw CocoaError(.formatting) }
            local = endpoint
            let request = try Router(config: config).route(try head("GET /a.txt HTTP/1.1\r\nHost: a\r\n\r\n"),
                                                           arrivingOn: local)
            guard case .regular(let identity) = FileInfo.lookUp(path) else { throw CocoaError(.fileNoSuchFile) }
            hot.remember(answer, path: path, identity: identity, for: request, now: start)
        }

        func answer(_ text: String, after delay: Duration = .zero, on endpoint: Endpoint? = nil) throws -> Response? {
            hot.answer(for: try HotResponsesTests.head(text), arrivingOn: endpoint ?? local, now: start + delay)?.response
        }

        func remove() { try? FileManager.default.removeItem(atPath: directory) }
    }

    @Test func plainGetOfTheSameTargetAndHostIsAnswered() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        #expect(try fixture.answer("GET /a.txt HTTP/1.1\r\nHost: a\r\n\r\n")?.body.bytes == Array("cached".utf8))
        #expect(try fixture.answer("GET /a.txt HTTP/1.1\r\nHost: b\r\n\r\n") == nil)
        #expect(try fixture.answer("GET /a.txt?x HTTP/1.1\r\nHost: a\r\n\r\n") == nil)
        #expect(try fixture.answer("HEAD /a.txt HTTP/1.1\r\nHost: a\r\n\r\n") == nil)
        #expect(try fixture.answer("GET /a.txt HTTP/1.0\r\n\r\n") == nil)
        #expect(try fixture.answer("GET /a.txt HTTP/1.1\r\nHost: a\r\n\r\n",
                                   on: Endpoint(host: "127.0.0.2", port: 8080)) == nil)
        #expect(try fixture.answer("GET /a.txt HTTP/1.1\r\nHost: a\r\n\r\n",
                                   on: Endpoint(host: "127.0.0.1", port: 8081)) == nil)
    }

    @Test(arguments: ["If-None-Match: \"x\"", "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT", "Range: bytes=0-1",
                      "If-Match: *", "If-Unmodified-Since: Thu, 01 Jan 1970 00:00:00 GMT", "If-Range: \"x\"",
                      "Content-Length: 0", "Transfer-Encoding: chunked"])
    func conditionalsRangesAndBodiesTakeTheFullPath(_ field: String) throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        #expect(try fixture.answer("GET /a.txt HTTP/1.1\r\nHost: a\r\n\(field)\r\n\r\n") == nil)
    }

    @Test func anUnchangedFileIsTrustedAgainAfterItsSecond() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        #expect(try fixture.answer("GET /a.txt HTTP/1.1\r\nHost: a\r\n\r\n", after: .seconds(2)) != nil)
    }

    @Test func aChangedFileIsServedFromMemoryForAtMostASecond() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try Data("changed, and longer".utf8).write(to: URL(fileURLWithPath: fixture.path))
        #expect(try fixture.answer("GET /a.txt HTTP/1.1\r\nHost: a\r\n\r\n", after: .milliseconds(500)) != nil)
        #expect(try fixture.answer("GET /a.txt HTTP/1.1\r\nHost: a\r\n\r\n", after: .milliseconds(1001)) == nil)
        #expect(try fixture.answer("GET /a.txt HTTP/1.1\r\nHost: a\r\n\r\n", after: .milliseconds(1002)) == nil)
    }

    @Test func theServersOwnWritesDropEverything() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        fixture.hot.removeAll()
        #expect(try fixture.answer("GET /a.txt HTTP/1.1\r\nHost: a\r\n\r\n") == nil)
    }
}

private extension Response.Body {
    var bytes: [UInt8]? {
        if case .bytes(let bytes) = self { return bytes }
        return nil
    }
}
