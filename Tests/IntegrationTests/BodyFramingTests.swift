import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// Request bodies as RFC 9112 §6–7 frames them: chunked split anywhere, framing errors, 100-continue.
    @Suite struct BodyFraming {
        /// A chunked body with an extension, upper- and lower-case hex, data that looks like framing, and a trailer.
        static let trickyData: [UInt8] = [UInt8]("hello") + [UInt8]("\r\n0\r\n\r\n") + [0, 0xFF, 0x0A, 0x0D]
            + [UInt8]("abcdefghijklmnopqrstuvwxyz")
        static let trickyChunked: [UInt8] = [UInt8]("5;name=value;q=\"a b\"\r\nhello\r\nB\r\n") + [UInt8]("\r\n0\r\n\r\n")
            + [0, 0xFF, 0x0A, 0x0D] + [UInt8]("\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: dropped\r\nX-Other: too\r\n\r\n")

        static func chunkedPut(_ path: String, close: Bool = true) -> [UInt8] {
            [UInt8]("PUT \(path) HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n")
        }

        @Test func chunkedBodyIsDecodedWithExtensionsAndTrailersDropped() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.exchange(Self.chunkedPut("/uploads/whole.bin") + Self.trickyChunked)
            #expect(response.status == 201)
            #expect(site.stored("whole.bin") == Self.trickyData)
        }

        /// The body cut in two at every offset, with a pause between the halves: the server sees the cut.
        @Test func chunkedBodySplitAtEveryOffsetDecodesIdentically() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let body = Self.trickyChunked
            for cut in 1..<body.count {
                let client = try server.connect()
                defer { client.close() }
                let path = "/uploads/split-\(cut).bin"
                try client.send(Self.chunkedPut(path) + body[..<cut])
                usleep(15_000)
                try client.send(Array(body[cut...]))
                let response = try client.readResponse()
                #expect(response.status == 201, "cut at \(cut): \(response)")
                #expect(try server.get(path).body == Self.trickyData, "cut at \(cut)")
            }
            #expect(site.storeEntries().count == body.count, "one file per cut, plus sub")
        }

        /// Every byte of head and body in its own send, then a pipelined GET: the end of the trailer section
        /// is found exactly, and the connection carries on.
        @Test func chunkedRequestByteByByteKeepsTheConnectionUsable() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            defer { client.close() }
            let request = Self.chunkedPut("/uploads/bytes.bin", close: false) + Self.trickyChunked
            for byte in request {
                try client.send([byte])
                usleep(2_000)
            }
            let put = try client.readResponse()
            #expect(put.status == 201)
            try client.send("GET /uploads/bytes.bin HTTP/1.1\r\nHost: a\r\n\r\n")
            let get = try client.readResponse()
            #expect(get.status == 200)
            #expect(get.body == Self.trickyData)
        }

        @Test func chunkedAndLengthBodiesPipelinedOnOneConnection() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            defer { client.close() }
            let pipeline = Self.chunkedPut("/uploads/p1.bin", close: false) + Self.trickyChunked
                + putRequest("/uploads/p2.bin", [UInt8]("second"), close: false)
                + [UInt8]("POST /static/page.html HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n") + chunked([UInt8]("discarded"), sizes: [3])
                + [UInt8]("GET /uploads/p1.bin HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            try client.send(pipeline)
            #expect(try client.readResponse().status == 201)
            #expect(try client.readResponse().status == 201)
            let post = try client.readResponse()
            #expect(post.status == 200)
            #expect(post.text == "<p>static page</p>\n")
            let get = try client.readResponse()
            #expect(get.body == Self.trickyData)
            #expect(client.readUntilClosed(timeout: 5) == ([], true))
            #expect(site.stored("p2.bin") == [UInt8]("second"))
        }

        // MARK: Framing errors

        /// Each is answered with its status and the connection is closed, though the request asked to keep it.
        /// Sent to an upload location, so a mistake in the body framing would show as a stored file.
        @Test(arguments: [
            ("CL and TE", "PUT /uploads/e HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400),
            ("TE and CL", "PUT /uploads/e HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400),
            ("two different CLs", "PUT /uploads/e HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
            ("CL list that differs", "PUT /uploads/e HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\nhello!", 400),
            ("non-numeric CL", "PUT /uploads/e HTTP/1.1\r\nHost: a\r\nContent-Length: five\r\n\r\nhello", 400),
            ("negative CL", "PUT /uploads/e HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\nhello", 400),
            ("signed CL", "PUT /uploads/e HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello", 400),
            ("hex CL", "PUT /uploads/e HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\nhello", 400),
            ("empty CL", "PUT /uploads/e HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\nhello", 400),
            ("overflowing CL", "PUT /uploads/e HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999999\r\n\r\nhello", 400),
            ("gzip coding", "PUT /uploads/e HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 501),
            ("gzip then chunked", "PUT /uploads/e HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 501),
            ("identity", "PUT /uploads/e HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 501),
            ("chunked twice", "PUT /uploads/e HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400),
            ("chunk size not hex", "PUT /uploads/e HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400),
            ("negative chunk size", "PUT /uploads/e HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n", 400),
            ("chunk size 0x", "PUT /uploads/e HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", 400),
            ("overflowing chunk size", "PUT /uploads/e HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFFFFFF\r\nhello\r\n0\r\n\r\n", 400),
            ("chunk longer than its size", "PUT /uploads/e HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n", 400),
            ("obs-fold", "PUT /uploads/e HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n two\r\nContent-Length: 5\r\n\r\nhello", 400),
            ("obs-fold with tab", "PUT /uploads/e HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n\ttwo\r\nContent-Length: 5\r\n\r\nhello", 400),
            ("space before colon", "PUT /uploads/e HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n\r\nhello", 400),
            ("space before colon in Host", "PUT /uploads/e HTTP/1.1\r\nHost : a\r\nContent-Length: 5\r\n\r\nhello", 400),
            ("tab before colon", "PUT /uploads/e HTTP/1.1\r\nHost: a\r\nX-A\t: b\r\nContent-Length: 5\r\n\r\nhello", 400),
            ("control character in a value", "PUT /uploads/e HTTP/1.1\r\nHost: a\r\nX-A: b\u{01}c\r\nContent-Length: 5\r\n\r\nhello", 400),
            ("NUL in a value", "PUT /uploads/e HTTP/1.1\r\nHost: a\r\nX-A: b\u{00}c\r\nContent-Length: 5\r\n\r\nhello", 400),
            ("DEL in a value", "PUT /uploads/e HTTP/1.1\r\nHost: a\r\nX-A: b\u{7F}c\r\nContent-Length: 5\r\n\r\nhello", 400),
            ("bare CR in a value", "PUT /uploads/e HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\nContent-Length: 5\r\n\r\nhello", 400),
            ("missing Host", "PUT /uploads/e HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 400),
            ("duplicate Host", "PUT /uploads/e HTTP/1.1\r\nHost: a\r\nHost: b\r\nContent-Length: 5\r\n\r\nhello", 400),
            ("duplicate identical Host", "PUT /uploads/e HTTP/1.1\r\nHost: a\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", 400),
            ("HTTP/2.0", "PUT /uploads/e HTTP/2.0\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", 505),
            ("HTTP/3.0", "GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505),
        ])
        func framingErrorIsAnsweredAndClosesTheConnection(name: String, request: String, status: Int) throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            defer { client.close() }
            try client.send(request)
            let response = try client.readResponse()
            #expect(response.status == status, "\(name): \(response)")
            #expect(response.header("Connection")?.lowercased() == "close", "\(name)")
            let rest = client.readUntilClosed(timeout: 5)
            #expect(rest.closed, "\(name): the connection was kept open")
            #expect(rest.bytes.isEmpty, "\(name): \(rest.bytes.text)")
            #expect(eventually(timeout: 1) { site.storeEntries() == ["sub"] }, "\(name) stored \(site.storeEntries())")
            #expect(try server.get("/index.html").status == 200, "\(name): the server stopped answering")
        }

        /// The same body errors on a body nobody stores (static POST, discarded): still an error, still closed.
        @Test(arguments: [
            ("chunk size not hex", "POST /static/page.html HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400),
            ("overflowing chunk size", "POST /static/page.html HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFFFFFF\r\nhello\r\n0\r\n\r\n", 400),
            ("chunk longer than its size", "POST /static/page.html HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n", 400),
            ("chunked past the limit", "POST /static/page.html HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n" + String(repeating: "x", count: 1024) + "\r\n1\r\nx\r\n0\r\n\r\n", 413),
            ("CL past the limit", "POST /static/page.html HTTP/1.1\r\nHost: a\r\nContent-Length: 1025\r\n\r\n" + String(repeating: "x", count: 1025), 413),
        ])
        func bodyErrorOnADiscardedBodyClosesTheConnection(name: String, request: String, status: Int) throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            defer { client.close() }
            try client.send(request)
            let response = try client.readResponse()
            #expect(response.status == status, "\(name): \(response)")
            let rest = client.readUntilClosed(timeout: 5)
            #expect(rest.closed, "\(name): the connection was kept open")
            #expect(rest.bytes.isEmpty, "\(name): \(rest.bytes.text)")
        }

        /// A body shorter than its Content-Length is waited for, not guessed at: nothing is stored before it
        /// completes (the rest arrives after a pause).
        @Test func contentLengthBodyIsWaitedForAcrossPauses() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            defer { client.close() }
            let body = patternBytes(count: 10_000, seed: 9)
            let request = putRequest("/uploads/slow.bin", body)
            try client.send(Array(request[..<(request.count - 100)]))
            usleep(300_000)
            #expect(site.stored("slow.bin") == nil, "the file appeared before its body was complete")
            try client.send(Array(request[(request.count - 100)...]))
            #expect(try client.readResponse().status == 201)
            #expect(site.stored("slow.bin") == body)
        }

        // MARK: Expect: 100-continue

        /// Reads exactly one interim response and checks nothing else came with it.
        static func expectContinue(_ client: RawClient, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let interim = try client.readResponse()
            #expect(interim.status == 100, "\(interim)", sourceLocation: sourceLocation)
            #expect(interim.version == "HTTP/1.1", sourceLocation: sourceLocation)
            #expect(interim.reason == "Continue", sourceLocation: sourceLocation)
            #expect(interim.headers.isEmpty, "\(interim.headers)", sourceLocation: sourceLocation)
        }

        @Test func putWithExpectGets100ContinueBeforeTheBodyIsSent() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect(receiveTimeout: 5)
            defer { client.close() }
            let body = patternBytes(count: 50_000, seed: 2)
            try client.send("PUT /uploads/expect.bin HTTP/1.1\r\nHost: a\r\nContent-Length: \(body.count)\r\nExpect: 100-continue\r\n\r\n")
            try Self.expectContinue(client)
            try client.send(body)
            let final = try client.readResponse()
            #expect(final.status == 201)
            #expect(site.stored("expect.bin") == body)
            // The connection is still usable, and a request without Expect gets no 100.
            try client.send(putRequest("/uploads/expect.bin", [UInt8]("again"), close: false))
            #expect(try client.readResponse().status == 204)
        }

        /// RFC 9110 §10.1.1: a 100-continue expectation in an HTTP/1.0 request is ignored.
        @Test func http10ClientGetsNo100Continue() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect(receiveTimeout: 1)
            defer { client.close() }
            try client.send("PUT /uploads/old.txt HTTP/1.0\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
            #expect(client.receive() == .timedOut, "the server answered before the body of an HTTP/1.0 request")
            try client.send("hello")
            client.setReceiveTimeout(5)
            let response = try client.readResponse()
            #expect(response.status == 201)
            #expect(site.stored("old.txt") == [UInt8]("hello"))
        }

        @Test func chunkedMultipartWithExpectGets100Continue() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect(receiveTimeout: 5)
            defer { client.close() }
            var form = MultipartForm()
            form.addFile(filename: "continued.txt", [UInt8]("after 100\n"))
            try client.send("POST /uploads/ HTTP/1.1\r\nHost: a\r\nContent-Type: \(form.contentType)\r\n"
                + "Transfer-Encoding: chunked\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n")
            try Self.expectContinue(client)
            try client.send(chunked(form.body, sizes: [10, 20]))
            let final = try client.readResponse()
            #expect(final.status == 201)
            #expect(final.header("Location") == "/uploads/continued.txt")
            #expect(site.stored("continued.txt") == [UInt8]("after 100\n"))
        }

        /// The final status arrives at once, without 100 and without the body ever being sent; then close.
        @Test(arguments: [
            ("413 declared too large", "PUT /small/big.bin HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n", 413),
            ("405 method", "PUT /readonly/x.bin HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n", 405),
            ("405 chunked", "POST /readonly/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n", 405),
            ("409 missing directory", "PUT /uploads/nodir/x.bin HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n", 409),
            ("404 post into missing directory", "POST /uploads/nodir/ HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n", 404),
            ("413 static", "POST /static/page.html HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n", 413),
        ])
        func refusedBodyGetsTheFinalStatusWithout100(name: String, request: String, status: Int) throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect(receiveTimeout: 5)
            defer { client.close() }
            try client.send(request)
            let response = try client.readResponse()
            #expect(response.status == status, "\(name): \(response)")
            let rest = client.readUntilClosed(timeout: 5)
            #expect(rest.closed, "\(name): not closed")
            #expect(rest.bytes.isEmpty, "\(name): \(rest.bytes.text)")
            #expect(site.storeEntries() == ["sub"])
        }

        @Test func staticPostWithExpectIsAnsweredAtOnceAsAGet() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect(receiveTimeout: 5)
            defer { client.close() }
            try client.send("POST /static/page.html HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "<p>static page</p>\n")
            #expect(client.readUntilClosed(timeout: 5).closed)
        }

        @Test func curlWithExpectUploadsAndCurlIsToldOf413() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let source = try site.write("in/e.bin", patternBytes(count: 20_000, seed: 4), inDocroot: false)
            let stored = try Curl.run(["-H", "Expect: 100-continue", "-T", source,
                                       "http://127.0.0.1:\(server.port)/uploads/e.bin"], in: site)
            #expect(stored.status == 201, "\(stored.stderr)")
            #expect(try SHA256.hex(ofFile: site.store + "/e.bin") == SHA256.hex(ofFile: source))
            let refused = try Curl.run(["-H", "Expect: 100-continue", "-T", source,
                                        "http://127.0.0.1:\(server.port)/small/e.bin"], in: site)
            #expect(refused.status == 413)
            #expect(site.storeEntries() == ["e.bin", "sub"])
        }
    }
}
