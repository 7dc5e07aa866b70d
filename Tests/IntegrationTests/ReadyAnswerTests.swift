import Foundation
import Testing

extension Integration {
    /// A hot file's ready answer is sent straight from the bytes of the read that brought a plain GET, before
    /// any head is built. It must be the answer the full path gives, byte for byte but the Date, whatever the
    /// version and Connection asked, and log the same access-log line; anything more than a plain GET (a
    /// condition, a range, two requests in one read, a head split over reads) is still answered as it asks.
    @Suite struct ReadyAnswer {
        static let body = [UInt8]((0..<700).map { UInt8(ascii: "a") + UInt8($0 % 26) })

        static func start() throws -> (TestSite, Webserv) {
            let site = try TestSite()
            try site.write("hot.txt", String(decoding: body, as: UTF8.self))
            return (site, try Webserv.start(Operations.logConfig, site: site))
        }

        /// The answer's bytes on one connection, the Date line taken out.
        static func answer(_ request: String, on client: RawClient) throws -> String {
            try client.send(request)
            let response = try client.readResponse()
            let fields = response.headers.filter { $0.name != "Date" }.map { "\($0.name): \($0.value)" }
            return "\(response.version) \(response.status) \(response.reason)\n" + fields.joined(separator: "\n")
                + "\n\n" + String(decoding: response.body, as: UTF8.self)
        }

        static let requests: [(name: String, text: String)] = [
            ("HTTP/1.1", "GET /hot.txt HTTP/1.1\r\nHost: a\r\n\r\n"),
            ("HTTP/1.1, close", "GET /hot.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"),
            ("HTTP/1.0", "GET /hot.txt HTTP/1.0\r\n\r\n"),
            ("HTTP/1.0, keep-alive", "GET /hot.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
            ("fields the answer ignores", "GET /hot.txt HTTP/1.1\r\nUser-Agent: x\r\nHost: a\r\nAccept: */*\r\n\r\n"),
        ]

        @Test(arguments: requests)
        func readyAnswerIsTheFullPathsAnswer(_ name: String, _ request: String) throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            // Three answers make the file hot: streamed, then from the file cache (and remembered), then ready.
            var answers: [String] = []
            for _ in 0..<5 {
                let client = try server.connect()
                defer { client.close() }
                answers.append(try Self.answer(request, on: client))
            }
            #expect(answers[0].hasSuffix("\n\n" + String(decoding: Self.body, as: UTF8.self)), "\(name): \(answers[0])")
            for later in answers.dropFirst() { #expect(later == answers[0], "\(name)") }
        }

        @Test func keepAliveConnectionIsServedReadyAnswersInARow() throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            defer { client.close() }
            let first = try Self.answer("GET /hot.txt HTTP/1.1\r\nHost: a\r\n\r\n", on: client)
            for _ in 0..<20 {
                #expect(try Self.answer("GET /hot.txt HTTP/1.1\r\nHost: a\r\n\r\n", on: client) == first)
            }
        }

        @Test func readyAnswerLogsTheSameLineAsTheFullPath() throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            let request = "GET /hot.txt?q=1 HTTP/1.1\r\nHost: a\r\nReferer: http://ref.test/p\r\n"
                + "User-Agent: agent/2.0\r\nAuthorization: Basic \(Data("alice:pw".utf8).base64EncodedString())\r\n\r\n"
            let client = try server.connect()
            defer { client.close() }
            for _ in 0..<5 { _ = try Self.answer(request, on: client) }
            let lines = Operations.lines(of: site.directory + "/access.log", atLeast: 5)
            try #require(lines.count == 5, "\(lines)")
            let expected = #" "GET /hot.txt?q=1 HTTP/1.1" 200 700 "http://ref.test/p" "agent/2.0""#
            for line in lines {
                #expect(line.hasPrefix("127.0.0.1 - alice ["), "\(line)")
                #expect(line.hasSuffix("]" + expected), "\(line)")
            }
        }

        @Test func conditionsAndRangesOfAHotFileAreAnsweredAsAsked() throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            defer { client.close() }
            var etag = ""
            var modified = ""
            for _ in 0..<4 {
                try client.send("GET /hot.txt HTTP/1.1\r\nHost: a\r\n\r\n")
                let response = try client.readResponse()
                etag = response.header("ETag") ?? ""
                modified = response.header("Last-Modified") ?? ""
            }
            try #require(!etag.isEmpty && !modified.isEmpty)
            try client.send("GET /hot.txt HTTP/1.1\r\nHost: a\r\nIf-None-Match: \(etag)\r\n\r\n")
            #expect(try client.readResponse().status == 304)
            try client.send("GET /hot.txt HTTP/1.1\r\nHost: a\r\nif-modified-since: \(modified)\r\n\r\n")
            #expect(try client.readResponse().status == 304)
            try client.send("GET /hot.txt HTTP/1.1\r\nHost: a\r\nRange: bytes=2-5\r\n\r\n")
            let partial = try client.readResponse()
            #expect(partial.status == 206 && partial.body == Array(Self.body[2...5]))
            // A body announced on a GET is read, not taken for the next request.
            try client.send("GET /hot.txt HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nXXXXX")
            #expect(try client.readResponse().body == Self.body)
            try client.send("GET /hot.txt HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try client.readResponse().body == Self.body)
        }

        @Test func pipelinedAndSplitRequestsGetEveryAnswerInOrder() throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            try site.write("other.txt", "other\n")
            let client = try server.connect()
            defer { client.close() }
            for _ in 0..<4 { _ = try Self.answer("GET /hot.txt HTTP/1.1\r\nHost: a\r\n\r\n", on: client) }
            try client.send("GET /hot.txt HTTP/1.1\r\nHost: a\r\n\r\nGET /other.txt HTTP/1.1\r\nHost: a\r\n\r\n"
                            + "GET /hot.txt HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try client.readResponse().body == Self.body)
            #expect(try client.readResponse().body == [UInt8]("other\n".utf8))
            #expect(try client.readResponse().body == Self.body)
            try client.send("GET /hot.txt HTTP/1.1\r\nHo")
            usleep(100_000)
            try client.send("st: a\r\n\r\n")
            #expect(try client.readResponse().body == Self.body)
            // Another Host or a lowercase method is another request.
            try client.send("GET /hot.txt HTTP/1.1\r\nHost: b\r\n\r\n")
            #expect(try client.readResponse().body == Self.body)
            try client.send("get /hot.txt HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try client.readResponse().status == 501)
        }
    }
}
