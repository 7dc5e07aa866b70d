import Foundation
import Testing

extension Integration {
    /// POST to an upload store: multipart/form-data parts and plain bodies become files, byte-exact.
    @Suite struct Uploads {
        /// Posts `form` to /uploads/ and checks the 201: its Location is the first file, its page links every
        /// file, and each link serves the bytes sent (by SHA-256) and names a file in the store.
        @discardableResult
        static func postAndVerify(_ form: MultipartForm, files expected: [(name: String, content: [UInt8])],
                                  on server: Webserv, site: TestSite,
                                  sourceLocation: SourceLocation = #_sourceLocation) throws -> HTTPResponse {
            let response = try server.exchange(form.request(to: "/uploads/"), sourceLocation: sourceLocation)
            #expect(response.status == 201, "\(response)", sourceLocation: sourceLocation)
            // The stored files; the other links lead to the listing and home.
            let links = Links.extract(from: response.text).filter { !$0.hasSuffix("/") }
            #expect(Links.extract(from: response.text).suffix(2) == ["/uploads/", "/"], sourceLocation: sourceLocation)
            // Links are percent-encoded (any correct encoding will do) and decode to the stored names.
            #expect(links.map { $0.removingPercentEncoding } == expected.map { "/uploads/" + $0.name },
                    "\(links)", sourceLocation: sourceLocation)
            #expect(links.allSatisfy(Links.isPercentEncoded), "\(links)", sourceLocation: sourceLocation)
            #expect(response.header("Location") == links.first, sourceLocation: sourceLocation)
            let hrefs = links.count == expected.count ? links : expected.map { "/uploads/" + percentEncoded($0.name) }
            for (file, href) in zip(expected, hrefs) {
                let stored = site.stored(file.name)
                #expect(stored.map(SHA256.hex) == SHA256.hex(file.content), "\(file.name) on disk",
                        sourceLocation: sourceLocation)
                let fetched = try server.get(href, sourceLocation: sourceLocation)
                #expect(fetched.status == 200, "\(href)", sourceLocation: sourceLocation)
                #expect(SHA256.hex(fetched.body) == SHA256.hex(file.content), "\(href) served", sourceLocation: sourceLocation)
            }
            #expect(site.temporaries().isEmpty, "\(site.temporaries())", sourceLocation: sourceLocation)
            return response
        }

        /// What the server puts in its links: RFC 3986 unreserved bytes as they are, the rest %XX.
        static func percentEncoded(_ name: String) -> String {
            let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
            return name.utf8.map { unreserved.contains($0) ? String(UnicodeScalar($0)) : String(format: "%%%02X", $0) }.joined()
        }

        @Test func oneByteFileIsStoredByteExact() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            var form = MultipartForm()
            form.addFile(filename: "one.bin", [0xFF])
            try Self.postAndVerify(form, files: [("one.bin", [0xFF])], on: server, site: site)
            #expect(site.storeEntries() == ["one.bin", "sub"])
        }

        @Test func emptyFileIsStored() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            var form = MultipartForm()
            form.addFile(filename: "empty.txt", contentType: "text/plain", [])
            try Self.postAndVerify(form, files: [("empty.txt", [])], on: server, site: site)
            #expect(site.storeEntries() == ["empty.txt", "sub"])
        }

        @Test func twentyFilesInOneRequestAreAllStored() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            var form = MultipartForm()
            var files: [(name: String, content: [UInt8])] = []
            for i in 0..<20 {
                // Sizes from empty to past the server's 256 KiB write high-water mark.
                let size = [0, 1, 2, 13, 1000, 4096, 65_535, 65_536, 65_537, 300_000][i % 10] + i
                let content = patternBytes(count: size, seed: UInt64(i + 1))
                let name = String(format: "file%02d.bin", i)
                files.append((name, content))
                form.addFile(field: "files", filename: name, content)
                // Form values between the files are not files.
                if i % 5 == 0 { form.addField("note\(i)", "not a file \(i)") }
            }
            try Self.postAndVerify(form, files: files, on: server, site: site)
            #expect(site.storeEntries() == (files.map(\.name) + ["sub"]).sorted())
        }

        @Test func contentThatLooksLikeTheBoundaryIsKept() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            var form = MultipartForm(boundary: "XyZzY")
            let b = [UInt8]("XyZzY")
            let crlfDashes: [UInt8] = [13, 10, 45, 45]
            // Delimiter look-alikes that are content (RFC 2046 §5.1.1): the boundary followed by neither
            // padding-CRLF nor "--", a boundary cut short, a close delimiter without its CRLF, a lone CR LF -.
            var tricky: [UInt8] = [UInt8]("--XyZzYx")
            tricky += crlfDashes + b + [UInt8]("x") + [0]
            tricky += crlfDashes + b + [UInt8]("-x")
            tricky += crlfDashes + b.dropLast() + [13, 10]
            tricky += [UInt8]("a--XyZzY--b") + patternBytes(count: 70_000)
            tricky += crlfDashes + b + [UInt8]("xx") + crlfDashes + b + [UInt8]("0") + [13, 10, 45]
            // Ends with a prefix of the delimiter, right before the real one.
            let second: [UInt8] = [UInt8]("--XyZzYx") + crlfDashes + b.dropLast()
            form.addFile(filename: "tricky.bin", tricky)
            form.addFile(filename: "second.bin", second)
            let request = form.request(to: "/uploads/")
            // Sent in pieces cut inside the delimiters, so a boundary is also split across reads.
            let client = try server.connect()
            defer { client.close() }
            var offset = 0
            for cut in [request.count - form.body.count + 5, request.count / 2, request.count - 9, request.count - 3] {
                try client.send(Array(request[offset..<cut]))
                offset = cut
                usleep(30_000)
            }
            try client.send(Array(request[offset...]))
            let response = try client.readResponse()
            #expect(response.status == 201, "\(response)")
            #expect(site.stored("tricky.bin").map(SHA256.hex) == SHA256.hex(tricky))
            #expect(site.stored("second.bin").map(SHA256.hex) == SHA256.hex(second))
            #expect(site.storeEntries() == ["second.bin", "sub", "tricky.bin"])
        }

        /// A part's end that arrives after its data is already on disk, followed by more than the server's
        /// 256 KiB write high-water mark (1 MB here, so the server stops reading before the body ends): the
        /// finished part must still be moved into place and the rest written.
        @Test(arguments: [[UInt8]("a"), []])
        func partEndArrivingAfterItsDataDoesNotStallTheUpload(first: [UInt8]) throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            var form = MultipartForm()
            form.addFile(filename: "first.bin", first)
            let big = patternBytes(count: 1_000_000, seed: 21)
            form.addFile(filename: "second.bin", big)
            let request = form.request(to: "/uploads/")
            let cut = request.count - form.body.count + (form.body.firstRange(of: [UInt8]("\r\n\r\n"))!.upperBound + first.count)
            let client = try server.connect(receiveTimeout: 10)
            defer { client.close() }
            try client.send(Array(request[..<cut]))
            usleep(200_000)
            try client.send(Array(request[cut...]))
            let response = try client.readResponse()
            #expect(response.status == 201)
            #expect(site.stored("first.bin") == first)
            #expect(site.stored("second.bin").map(SHA256.hex) == SHA256.hex(big))
        }

        @Test func nonASCIIFileNameIsKept() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let name = "résumé 日本語 ☃.txt"
            var form = MultipartForm()
            form.addFile(filename: name, contentType: "text/plain", [UInt8]("unicode\n"))
            try Self.postAndVerify(form, files: [(name, [UInt8]("unicode\n"))], on: server, site: site)
            #expect(site.storeEntries() == ["résumé 日本語 ☃.txt", "sub"])
        }

        @Test(arguments: [
            ("../../etc/x", "x"),
            ("../../../../../../../../tmp/webserv-escape.txt", "webserv-escape.txt"),
            ("a/b.txt", "b.txt"),
            ("C:\\Windows\\evil.ini", "evil.ini"),
            ("..", "upload"),
            ("/", "upload"),
            (".hidden", "hidden"),
            ("tab\there.txt", "upload"),
        ])
        func hostileFileNameBecomesASafeNameInsideTheStore(sent: String, stored: String) throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let before = FileManager.default.fileExists(atPath: "/tmp/webserv-escape.txt")
            var form = MultipartForm()
            form.addFile(filename: sent, [UInt8]("hostile\n"))
            try Self.postAndVerify(form, files: [(stored, [UInt8]("hostile\n"))], on: server, site: site)
            #expect(site.storeEntries() == [stored, "sub"].sorted())
            #expect(FileManager.default.fileExists(atPath: "/tmp/webserv-escape.txt") == before)
            #expect(!FileManager.default.fileExists(atPath: site.directory + "/etc/x"))
            #expect(!FileManager.default.fileExists(atPath: site.directory + "/b.txt"))
        }

        /// RFC 7578 §4.2 allows `filename*` (RFC 5987); percent-decoding is where control bytes can appear.
        @Test(arguments: [
            ("UTF-8''caf%C3%A9.txt", "café.txt"),
            ("UTF-8''..%2F..%2Fescape.txt", "escape.txt"),
            ("UTF-8''bell%07name.txt", "upload"),
            ("UTF-8''nul%00name.txt", "upload"),
            ("UTF-8''new%0Aline.txt", "upload"),
        ])
        func encodedFileNameIsDecodedAndMadeSafe(encoded: String, stored: String) throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            var form = MultipartForm()
            form.addFile(filename: "", disposition: [UInt8]("form-data; name=\"f\"; filename=\"fallback.txt\"; filename*=\(encoded)"),
                         [UInt8]("encoded\n"))
            try Self.postAndVerify(form, files: [(stored, [UInt8]("encoded\n"))], on: server, site: site)
            #expect(site.storeEntries() == [stored, "sub"].sorted())
        }

        @Test func rawControlCharacterInAPartHeaderIsRefusedAndStoresNothing() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            var form = MultipartForm()
            form.addFile(filename: "bell\u{07}name.txt", [UInt8]("x"))
            let response = try server.exchange(form.request(to: "/uploads/"))
            #expect(response.status == 400)
            #expect(eventually { site.storeEntries() == ["sub"] }, "\(site.storeEntries())")
        }

        @Test func takenNamesGetNumberedVariantsBeforeTheExtension() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            var form = MultipartForm()
            form.addFile(filename: "same.txt", [UInt8]("first\n"))
            form.addFile(filename: "same.txt", [UInt8]("second\n"))
            form.addFile(filename: "README", [UInt8]("readme 1\n"))
            try Self.postAndVerify(form, files: [("same.txt", [UInt8]("first\n")), ("same-1.txt", [UInt8]("second\n")),
                                                 ("README", [UInt8]("readme 1\n"))], on: server, site: site)
            var again = MultipartForm()
            again.addFile(filename: "same.txt", [UInt8]("third\n"))
            again.addFile(filename: "README", [UInt8]("readme 2\n"))
            try Self.postAndVerify(again, files: [("same-2.txt", [UInt8]("third\n")), ("README-1", [UInt8]("readme 2\n"))],
                                   on: server, site: site)
            #expect(site.stored("same.txt") == [UInt8]("first\n"))
        }

        @Test func formWithoutFilesIs400AndStoresNothing() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            var form = MultipartForm()
            form.addField("comment", "just text")
            let response = try server.exchange(form.request(to: "/uploads/"))
            #expect(response.status == 400, "\(response)")
            #expect(response.text.contains("No file was chosen"))
            #expect(response.header("Location") == nil)
            #expect(site.storeEntries() == ["sub"])
        }

        @Test func multipartWithoutBoundaryIs400() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.exchange("POST /uploads/ HTTP/1.1\r\nHost: a\r\nContent-Type: multipart/form-data\r\n"
                + "Content-Length: 3\r\nConnection: close\r\n\r\nabc")
            #expect(response.status == 400)
            #expect(site.storeEntries() == ["sub"])
        }

        @Test func truncatedMultipartBodyIs400AndLeavesNothing() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            var form = MultipartForm()
            form.addFile(filename: "cut.bin", patternBytes(count: 5000))
            // A complete Content-Length body that ends before the close delimiter.
            let body = form.bytes
            let head = "POST /uploads/ HTTP/1.1\r\nHost: a\r\nContent-Type: \(form.contentType)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
            let response = try server.exchange([UInt8](head) + body)
            #expect(response.status == 400)
            #expect(eventually { site.storeEntries() == ["sub"] }, "\(site.storeEntries())")
        }

        @Test func multipartSentChunkedIsStored() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            var form = MultipartForm()
            let content = patternBytes(count: 100_000, seed: 7)
            form.addFile(filename: "chunky.bin", content)
            let request = [UInt8]("POST /uploads/ HTTP/1.1\r\nHost: a\r\nContent-Type: \(form.contentType)\r\n"
                + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n") + chunked(form.body, sizes: [1, 2, 3, 4093, 40_000])
            let response = try server.exchange(request)
            #expect(response.status == 201)
            #expect(response.header("Location") == "/uploads/chunky.bin")
            #expect(site.stored("chunky.bin").map(SHA256.hex) == SHA256.hex(content))
        }

        @Test func browserStyleUploadThroughCurlWithSeveralFiles() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let text = try site.write("in/notes.txt", "some notes\n", inDocroot: false)
            let binary = try site.write("in/blob.bin", patternBytes(count: 2_000_000, seed: 3), inDocroot: false)
            let result = try Curl.run(["-F", "files=@\(text)", "-F", "files=@\(binary)", "-F", "caption=hello",
                                       "http://127.0.0.1:\(server.port)/uploads/"], in: site)
            #expect(result.exitCode == 0, "\(result.stderr)")
            #expect(result.status == 201)
            #expect(result.header("Location") == "/uploads/notes.txt")
            #expect(try SHA256.hex(ofFile: site.store + "/notes.txt") == SHA256.hex(ofFile: text))
            #expect(try SHA256.hex(ofFile: site.store + "/blob.bin") == SHA256.hex(ofFile: binary))
            let listing = try server.get("/uploads/")
            #expect(Links.extract(from: listing.text).contains("blob.bin"))
        }

        @Test func rawPostToTheStoreDirectoryGetsAGeneratedName() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let content = patternBytes(count: 12_345, seed: 11)
            let request = [UInt8]("POST /uploads/ HTTP/1.1\r\nHost: a\r\nContent-Type: application/octet-stream\r\n"
                + "Content-Length: \(content.count)\r\nConnection: close\r\n\r\n") + content
            let response = try server.exchange(request)
            #expect(response.status == 201)
            let location = try #require(response.header("Location"))
            #expect(location.range(of: "^/uploads/upload-[0-9]+-[0-9]+$", options: .regularExpression) != nil, "\(location)")
            #expect(Links.extract(from: response.text) == [location, "/uploads/", "/"])
            #expect(try server.get(location).body == content)
            #expect(site.storeEntries().count == 2)
        }

        @Test func rawPostToAFileNameStoresItAndNeverOverwrites() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            for (i, expected) in ["/uploads/note.txt", "/uploads/note-1.txt"].enumerated() {
                let body = "note \(i)\n"
                let response = try server.exchange("POST /uploads/note.txt HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\n"
                    + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
                #expect(response.status == 201)
                #expect(response.header("Location") == expected)
            }
            #expect(site.stored("note.txt") == [UInt8]("note 0\n"))
            #expect(site.stored("note-1.txt") == [UInt8]("note 1\n"))
        }

        @Test func postIntoASubdirectoryOfTheStore() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            var form = MultipartForm()
            form.addFile(filename: "deep.txt", [UInt8]("deep\n"))
            let response = try server.exchange(form.request(to: "/uploads/sub/"))
            #expect(response.status == 201)
            #expect(response.header("Location") == "/uploads/sub/deep.txt")
            #expect(FileManager.default.contents(atPath: site.store + "/sub/deep.txt") == Data("deep\n".utf8))
            let missing = try server.exchange(form.request(to: "/uploads/nowhere/"))
            #expect(missing.status == 404)
        }

        @Test func uploadsOnOneKeptAliveConnection() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            defer { client.close() }
            for i in 0..<3 {
                var form = MultipartForm()
                form.addFile(filename: "k\(i).txt", [UInt8]("keep-alive \(i)\n"))
                try client.send(form.request(to: "/uploads/", close: false))
                let response = try client.readResponse()
                #expect(response.status == 201)
                #expect(response.header("Connection")?.lowercased() != "close")
            }
            #expect(site.storeEntries() == ["k0.txt", "k1.txt", "k2.txt", "sub"])
        }
    }
}
