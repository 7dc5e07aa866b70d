import Foundation
import Testing

/// A text file with a fixed modification time (so its ETag and Last-Modified are known in advance) and a
/// 5 MB binary file, too big for the file cache, so its ranges are streamed from the descriptor.
enum ConditionalFixture {
    static let story: [UInt8] = Array((0..<40).map { "line \($0 < 10 ? "0" : "")\($0) of the story, \(String(repeating: "~", count: $0 % 7))\n" }
        .joined().utf8)
    static let fixedDate = Date(timeIntervalSince1970: 1_577_934_245)
    static let fixedDateText = "Thu, 02 Jan 2020 03:04:05 GMT"
    /// nginx's strong tag: hex seconds, no nanoseconds (the time set is whole seconds), hex size.
    static var storyETag: String { "\"5e0d5da5-\(String(story.count, radix: 16))\"" }
    static let bigSize = 5_000_000

    static let config = """
        server {
            listen 127.0.0.1:@PORT@;
            root @ROOT@;
            location /store/ {
                allow_methods GET PUT DELETE;
            }
        }
        """

    static func start() throws -> (TestSite, Webserv) {
        let site = try TestSite()
        try site.write("story.txt", story)
        try site.setModificationDate(fixedDate, of: "story.txt")
        try writeLargeFile(atPath: site.docroot + "/big.bin", size: bigSize)
        return (site, try Webserv.start(config, site: site))
    }

    static func slice(_ range: ClosedRange<Int>) -> [UInt8] { Array(story[range]) }
}

/// One part of a `multipart/byteranges` body (RFC 9110 §14.6).
struct BytesPart {
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// Splits a body on `--boundary` delimiters as RFC 2046 §5.1.1 defines them (each after CRLF, the first
    /// possibly at the very start); throws on anything else, so a framing error is a test failure.
    static func parse(_ body: [UInt8], contentType: String) throws -> [BytesPart] {
        let prefix = "multipart/byteranges; boundary="
        guard contentType.hasPrefix(prefix) else { throw HarnessError("not multipart/byteranges: \(contentType)") }
        let boundary = String(contentType.dropFirst(prefix.count))
        let delimiter = [UInt8]("\r\n--" + boundary)
        // An empty preamble may leave out the CRLF before the first delimiter.
        var i: Int
        if body.starts(with: [UInt8]("--" + boundary)) {
            i = boundary.utf8.count + 2
        } else if let first = body.firstRange(of: delimiter) {
            i = first.upperBound
        } else {
            throw HarnessError("no delimiter in the body")
        }
        var parts: [BytesPart] = []
        while parts.count < 100 {
            if body.count >= i + 2 && body[i] == UInt8(ascii: "-") && body[i + 1] == UInt8(ascii: "-") {
                guard Array(body[(i + 2)...]) == [13, 10] || body.count == i + 2 else {
                    throw HarnessError("bytes after the close delimiter: \(body[(i + 2)...].text)")
                }
                return parts
            }
            guard body.count >= i + 2, body[i] == 13, body[i + 1] == 10 else { throw HarnessError("delimiter not followed by CRLF") }
            i += 2
            guard let headEnd = body.firstRange(of: [13, 10, 13, 10], from: i) else { throw HarnessError("part head unterminated") }
            var headers: [(name: String, value: String)] = []
            for line in body[i..<headEnd.lowerBound].text.components(separatedBy: "\r\n") {
                guard let colon = line.firstIndex(of: ":") else { throw HarnessError("bad part header: \(line)") }
                headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
            guard let next = body.firstRange(of: delimiter, from: headEnd.upperBound) else {
                throw HarnessError("part not followed by a delimiter")
            }
            parts.append(BytesPart(headers: headers, body: Array(body[headEnd.upperBound..<next.lowerBound])))
            i = next.upperBound
        }
        throw HarnessError("more than 100 parts")
    }
}

extension Integration {
    @Suite struct ConditionalAndRange {
        typealias F = ConditionalFixture

        @Test func filesCarryETagLastModifiedAndAcceptRanges() throws {
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/story.txt")
            #expect(response.status == 200)
            #expect(response.body == F.story)
            #expect(response.header("ETag") == F.storyETag)
            #expect(response.header("Last-Modified") == F.fixedDateText)
            #expect(response.header("Accept-Ranges") == "bytes")
            let big = try server.get("/big.bin", method: "HEAD")
            let tag = try #require(big.header("ETag"))
            #expect(tag.range(of: #"^"[0-9a-f]+(\.[0-9a-f]+)?-4c4b40"$"#, options: .regularExpression) != nil, "\(tag)")
        }

        // MARK: 304

        static let matchingIfNoneMatch = [
            ConditionalFixture.storyETag,
            "\"other\", \(ConditionalFixture.storyETag)",
            "\"other\",\(ConditionalFixture.storyETag) , \"more\"",
            "*",
            "W/\(ConditionalFixture.storyETag)",
        ]

        @Test(arguments: matchingIfNoneMatch)
        func ifNoneMatchWithTheCurrentTagIs304WithoutBody(_ value: String) throws {
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            for method in ["GET", "HEAD"] {
                let response = try server.get("/story.txt", headers: ["If-None-Match: \(value)"], method: method)
                #expect(response.status == 304, "\(method) \(value)")
                #expect(response.body.isEmpty)
                #expect(response.header("ETag") == F.storyETag)
                #expect(response.header("Last-Modified") == F.fixedDateText)
            }
        }

        @Test(arguments: ["\"other\"", "\"5e0d5da5-0\"", "W/\"other\", \"x\""])
        func ifNoneMatchWithOtherTagsIs200(_ value: String) throws {
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/story.txt", headers: ["If-None-Match: \(value)"])
            #expect(response.status == 200)
            #expect(response.body == F.story)
        }

        @Test(arguments: [ConditionalFixture.fixedDateText, "Thu, 02 Jan 2020 03:04:06 GMT", "Sat, 01 Jan 2050 00:00:00 GMT",
                          "Thursday, 02-Jan-20 03:04:05 GMT", "Thu Jan  2 03:04:05 2020"])
        func ifModifiedSinceEqualOrLaterIs304(_ date: String) throws {
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/story.txt", headers: ["If-Modified-Since: \(date)"])
            #expect(response.status == 304, "\(date)")
            #expect(response.body.isEmpty)
            #expect(response.header("ETag") == F.storyETag)
            #expect(response.header("Last-Modified") == F.fixedDateText)
        }

        @Test(arguments: ["Thu, 02 Jan 2020 03:04:04 GMT", "yesterday", "2020-01-02T03:04:05Z",
                          "Thu, 32 Jan 2020 03:04:05 GMT", "Thu, 02 Jan 2020 03:04:05 UTC", ""])
        func ifModifiedSinceEarlierOrInvalidIs200(_ date: String) throws {
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/story.txt", headers: ["If-Modified-Since: \(date)"])
            #expect(response.status == 200, "\(date)")
            #expect(response.body == F.story)
        }

        @Test func ifNoneMatchOverridesIfModifiedSince() throws {
            // RFC 9110 §13.1.3: If-Modified-Since is ignored when If-None-Match is present.
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/story.txt", headers: ["If-None-Match: \"other\"",
                                                                  "If-Modified-Since: \(F.fixedDateText)"])
            #expect(response.status == 200)
            #expect(response.body == F.story)
            let ranged = try server.get("/story.txt", headers: ["If-None-Match: \(F.storyETag)", "Range: bytes=0-9"])
            #expect(ranged.status == 304)
        }

        @Test func notModifiedAndRangeAnswersKeepTheConnectionInStep() throws {
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            defer { client.close() }
            let host = "Host: 127.0.0.1:\(server.port)\r\n"
            try client.send("GET /story.txt HTTP/1.1\r\n\(host)If-None-Match: \(F.storyETag)\r\n\r\n"
                            + "GET /story.txt HTTP/1.1\r\n\(host)Range: bytes=5000-\r\n\r\n"
                            + "GET /story.txt HTTP/1.1\r\n\(host)Range: bytes=0-4,10-14\r\n\r\n"
                            + "GET /story.txt HTTP/1.1\r\n\(host)Range: bytes=-3\r\nConnection: close\r\n\r\n")
            #expect(try client.readResponse().status == 304)
            #expect(try client.readResponse().status == 416)
            #expect(try client.readResponse().status == 206)
            let last = try client.readResponse()
            #expect(last.status == 206)
            #expect(last.body == Array(F.story.suffix(3)))
            #expect(client.readUntilClosed(timeout: 5) == ([], true))
        }

        // MARK: 412

        @Test(arguments: ["\"nope\"", "W/\(ConditionalFixture.storyETag)", "\"a\", \"b\""])
        func ifMatchWithoutTheCurrentTagIs412(_ value: String) throws {
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/story.txt", headers: ["If-Match: \(value)"])
            #expect(response.status == 412, "\(value)")
            #expect(response.body != F.story)
        }

        @Test(arguments: [ConditionalFixture.storyETag, "*", "\"a\", \(ConditionalFixture.storyETag)"])
        func ifMatchWithTheCurrentTagIs200(_ value: String) throws {
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/story.txt", headers: ["If-Match: \(value)"])
            #expect(response.status == 200, "\(value)")
            #expect(response.body == F.story)
        }

        @Test func ifUnmodifiedSinceEarlierIs412AndEqualOrInvalidIs200() throws {
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            #expect(try server.get("/story.txt", headers: ["If-Unmodified-Since: Thu, 02 Jan 2020 03:04:04 GMT"]).status == 412)
            #expect(try server.get("/story.txt", headers: ["If-Unmodified-Since: Sat, 01 Jan 2000 00:00:00 GMT"]).status == 412)
            for ok in [F.fixedDateText, "Sat, 01 Jan 2050 00:00:00 GMT", "not a date"] {
                let response = try server.get("/story.txt", headers: ["If-Unmodified-Since: \(ok)"])
                #expect(response.status == 200, "\(ok)")
                #expect(response.body == F.story)
            }
            // RFC 9110 §13.1.4: If-Unmodified-Since is ignored when If-Match is present.
            let both = try server.get("/story.txt", headers: ["If-Match: \(F.storyETag)",
                                                              "If-Unmodified-Since: Sat, 01 Jan 2000 00:00:00 GMT"])
            #expect(both.status == 200)
        }

        @Test func rewritingAFileWithTheSameSizeChangesItsTag() throws {
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            for _ in 0..<2 { #expect(try server.get("/story.txt").body == F.story) }
            let rewritten = F.story.map { $0 == UInt8(ascii: "~") ? UInt8(ascii: "=") : $0 }
            try site.write("story.txt", rewritten)
            let response = try server.get("/story.txt", headers: ["If-None-Match: \(F.storyETag)"])
            #expect(response.status == 200)
            #expect(response.body == rewritten)
            #expect(response.header("ETag") != F.storyETag)
            let whole = try server.get("/story.txt", headers: ["Range: bytes=0-9", "If-Range: \(F.storyETag)"])
            #expect(whole.status == 200)
            #expect(whole.body == rewritten)
        }

        @Test func unsafeMethodsHonourPreconditions() throws {
            // RFC 9110 §13.1.1, §13.1.2: an origin server MUST evaluate If-Match and If-None-Match before
            // performing the method; If-None-Match: * is how a client avoids overwriting, If-Match how it
            // avoids a lost update.
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            try site.write("store/doc.txt", "version 1\n")
            let current = try #require(try server.get("/store/doc.txt").header("ETag"))
            func put(_ headers: [String]) throws -> HTTPResponse {
                var request = "PUT /store/doc.txt HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n"
                for line in headers { request += line + "\r\n" }
                return try server.exchange(request + "Connection: close\r\n\r\nversion 2\n")
            }
            let stored = { FileManager.default.contents(atPath: site.docroot + "/store/doc.txt").map { String(decoding: $0, as: UTF8.self) } }
            #expect(try put(["If-None-Match: *"]).status == 412)
            #expect(try put(["If-Match: \"stale\""]).status == 412)
            #expect(try put(["If-Unmodified-Since: Sat, 01 Jan 2000 00:00:00 GMT"]).status == 412)
            #expect(stored() == "version 1\n", "a failed precondition still replaced the file")
            #expect(try server.get("/store/doc.txt", headers: ["If-Match: \"stale\""], method: "DELETE").status == 412)
            #expect(stored() == "version 1\n", "a failed precondition still deleted the file")
            #expect(try put(["If-Match: \(current)"]).status == 204)
            #expect(stored() == "version 2\n")
        }

        // MARK: Ranges

        @Test func singleRangesAreSlicesOfTheFile() throws {
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            let n = F.story.count
            let cases: [(String, ClosedRange<Int>)] = [
                ("bytes=0-9", 0...9), ("bytes=0-0", 0...0), ("bytes=100-", 100...(n - 1)),
                ("bytes=-25", (n - 25)...(n - 1)), ("bytes=\(n - 10)-\(n + 5000)", (n - 10)...(n - 1)),
                ("bytes=-\(n + 100)", 0...(n - 1)), ("bytes=\(n - 1)-\(n - 1)", (n - 1)...(n - 1)),
                ("Bytes=5-6", 5...6),
            ]
            // Twice: first read from the descriptor, then (after a full GET filled it) from the file cache.
            for pass in ["cold", "cached"] {
                if pass == "cached" {
                    for _ in 0..<2 { #expect(try server.get("/story.txt").body == F.story) }
                }
                for (field, range) in cases {
                    let response = try server.get("/story.txt", headers: ["Range: \(field)"])
                    #expect(response.status == 206, "\(pass) \(field)")
                    #expect(response.header("Content-Range") == "bytes \(range.lowerBound)-\(range.upperBound)/\(n)", "\(pass) \(field)")
                    #expect(response.header("Content-Length") == String(range.count), "\(pass) \(field)")
                    #expect(response.header("Content-Type") == "text/plain; charset=utf-8")
                    #expect(response.header("ETag") == F.storyETag)
                    #expect(response.body == F.slice(range), "\(pass) \(field)")
                }
            }
        }

        @Test func unsatisfiableRangeIs416WithTheLength() throws {
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            let n = F.story.count
            for field in ["bytes=\(n)-", "bytes=\(n + 1000)-\(n + 2000)", "bytes=-0", "bytes=\(n)-\(n),\(n + 5)-"] {
                let response = try server.get("/story.txt", headers: ["Range: \(field)"])
                #expect(response.status == 416, "\(field)")
                #expect(response.header("Content-Range") == "bytes */\(n)", "\(field)")
                #expect(response.body != F.story)
            }
        }

        @Test(arguments: ["bytes=5-2", "items=0-1", "bytes=a-b", "bytes 0-1", "bytes=", "bytes=1-2;3-4"])
        func malformedRangeIsIgnored(_ field: String) throws {
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/story.txt", headers: ["Range: \(field)"])
            #expect(response.status == 200, "\(field)")
            #expect(response.header("Content-Range") == nil)
            #expect(response.body == F.story)
        }

        @Test func severalRangesComeBackAsMultipartByteranges() throws {
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            let n = F.story.count
            let expected = [0...9, 200...249, (n - 30)...(n - 1)]
            for pass in ["cold", "cached"] {
                if pass == "cached" {
                    for _ in 0..<2 { _ = try server.get("/story.txt") }
                }
                let response = try server.get("/story.txt", headers: ["Range: bytes=0-9, 200-249,-30"])
                #expect(response.status == 206, "\(pass)")
                #expect(response.header("Content-Range") == nil)
                #expect(response.header("Content-Length") == String(response.body.count))
                let type = try #require(response.header("Content-Type"))
                let parts = try BytesPart.parse(response.body, contentType: type)
                #expect(parts.count == expected.count, "\(pass)")
                for (part, range) in zip(parts, expected) {
                    #expect(part.header("Content-Type") == "text/plain; charset=utf-8")
                    #expect(part.header("Content-Range") == "bytes \(range.lowerBound)-\(range.upperBound)/\(n)")
                    #expect(part.body == F.slice(range), "\(pass) \(range)")
                }
            }
        }

        @Test func ifRangeDecidesBetweenPartAndWhole() throws {
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            for validator in [F.storyETag, F.fixedDateText] {
                let partial = try server.get("/story.txt", headers: ["Range: bytes=10-19", "If-Range: \(validator)"])
                #expect(partial.status == 206, "\(validator)")
                #expect(partial.header("Content-Range") == "bytes 10-19/\(F.story.count)")
                #expect(partial.body == F.slice(10...19))
            }
            // RFC 9110 §13.1.5: a weak tag or a date other than Last-Modified never matches.
            for validator in ["\"changed\"", "W/\(F.storyETag)", "Thu, 02 Jan 2020 03:04:06 GMT", "garbage"] {
                let whole = try server.get("/story.txt", headers: ["Range: bytes=10-19", "If-Range: \(validator)"])
                #expect(whole.status == 200, "\(validator)")
                #expect(whole.header("Content-Range") == nil)
                #expect(whole.header("ETag") == F.storyETag)
                #expect(whole.body == F.story)
            }
        }

        @Test func headWithRangeAnswersLikeAGetWithoutRange() throws {
            // RFC 9110 §14.2: GET is the only method range handling is defined for; others ignore Range.
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/story.txt", headers: ["Range: bytes=0-9"], method: "HEAD")
            #expect(response.status == 200)
            #expect(response.header("Content-Length") == String(F.story.count))
            #expect(response.header("Accept-Ranges") == "bytes")
            #expect(response.header("Content-Range") == nil)
            #expect(response.body.isEmpty)
        }

        @Test func largeFileRangesAreStreamedByteExact() throws {
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            let file = try #require(FileManager.default.contents(atPath: site.docroot + "/big.bin").map { [UInt8]($0) })
            #expect(file.count == F.bigSize)
            for _ in 0..<2 {
                let middle = try server.get("/big.bin", headers: ["Range: bytes=2000000-2999999"])
                #expect(middle.status == 206)
                #expect(middle.header("Content-Range") == "bytes 2000000-2999999/5000000")
                #expect(middle.body.count == 1_000_000)
                #expect(middle.body == Array(file[2_000_000...2_999_999]))
            }
            let tail = try server.get("/big.bin", headers: ["Range: bytes=-70000"])
            #expect(tail.body == Array(file.suffix(70_000)))
            let several = try server.get("/big.bin", headers: ["Range: bytes=1-65536,4999990-,3000000-3300000"])
            #expect(several.status == 206)
            let parts = try BytesPart.parse(several.body, contentType: several.header("Content-Type") ?? "")
            let expected = [1...65_536, 4_999_990...4_999_999, 3_000_000...3_300_000]
            #expect(parts.count == 3)
            for (part, range) in zip(parts, expected) {
                #expect(part.header("Content-Range") == "bytes \(range.lowerBound)-\(range.upperBound)/5000000")
                #expect(part.body == Array(file[range]), "\(range)")
            }
        }

        @Test func curlResumesAPartialDownload() throws {
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            let file = try #require(FileManager.default.contents(atPath: site.docroot + "/big.bin"))
            let download = site.directory + "/big.part"
            #expect(FileManager.default.createFile(atPath: download, contents: file.prefix(1_234_567)))
            let result = try Curl.run(["-C", "-", "http://127.0.0.1:\(server.port)/big.bin"], in: site, bodyPath: download)
            #expect(result.exitCode == 0, "curl: \(result.stderr)")
            #expect(result.status == 206)
            #expect(result.header("Content-Range") == "bytes 1234567-4999999/5000000")
            #expect(FileManager.default.contents(atPath: download) == file)
        }
    }
}
