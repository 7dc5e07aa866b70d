import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The docroot most suites share: files of several types, directories with and without an index.
enum StaticFixture {
    static let hello = "Hello, webserv!\nSecond line.\n"
    static let page = "<!DOCTYPE html>\n<title>page</title>\n<p>a page</p>\n"
    static let index = "<!DOCTYPE html>\n<title>home</title>\n<h1>home</h1>\n"
    static let dirIndex = "<p>dir index</p>\n"
    static let second = "<p>second index</p>\n"
    /// Every byte value, up then down.
    static let allBytes: [UInt8] = Array(0...255) + Array((0...255).reversed())
    /// 2020-01-02 03:04:05 UTC, a Thursday.
    static let fixedDate = Date(timeIntervalSince1970: 1_577_934_245)
    static let fixedDateText = "Thu, 02 Jan 2020 03:04:05 GMT"

    static let config = """
        server {
            listen 127.0.0.1:@PORT@;
            root @ROOT@;
            index index.html;
            location /custom/ { error_page 404 /errors/404.html; }
            location /multi/ { index missing.html second.html; }
            location /getonly/ { allow_methods GET; }
            location /listing/ { autoindex on; }
        }
        """

    static func makeSite() throws -> TestSite {
        let site = try TestSite()
        try site.write("index.html", index)
        try site.write("hello.txt", hello)
        try site.write("page.html", page)
        try site.write("all-bytes.bin", allBytes)
        try site.write("logo.png", try logoPNG())
        try site.write("dir/index.html", dirIndex)
        try site.write("noindex/file.txt", "not listed\n")
        try site.write("multi/second.html", second)
        try site.write("getonly/file.txt", "get only\n")
        try site.write("errors/404.html", "<h1>custom not found</h1>\n")
        try site.setModificationDate(fixedDate, of: "hello.txt")
        return site
    }

    static func logoPNG() throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: Repo.root.path + "/www/images/logo.png") else {
            throw HarnessError("www/images/logo.png is missing")
        }
        return [UInt8](data)
    }

    /// A server on a fresh copy of the fixture; the caller stops it.
    static func start() throws -> (TestSite, Webserv) {
        let site = try makeSite()
        return (site, try Webserv.start(config, site: site))
    }
}

extension Integration {
    @Suite struct StaticFiles {
        @Test func textFileIsByteExactWithLengthTypeDatesAndServer() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/hello.txt")
            #expect(response.status == 200)
            #expect(response.reason == "OK")
            #expect(response.version == "HTTP/1.1")
            #expect(response.text == StaticFixture.hello)
            #expect(response.header("Content-Length") == String(StaticFixture.hello.utf8.count))
            #expect(response.header("Content-Type") == "text/plain; charset=utf-8")
            #expect(response.header("Last-Modified") == StaticFixture.fixedDateText)
            #expect(response.header("Server") == "webserv")
            let date = try #require(response.header("Date"))
            let parsed = try #require(IMFFixdate.parse(date), "Date is not IMF-fixdate: \(date)")
            #expect(abs(parsed.timeIntervalSinceNow) < 30)
        }

        @Test func htmlFileIsServedAsUTF8HTML() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/page.html")
            #expect(response.status == 200)
            #expect(response.text == StaticFixture.page)
            #expect(response.header("Content-Type") == "text/html; charset=utf-8")
        }

        @Test func binaryFileWithEveryByteValueIsByteExact() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/all-bytes.bin")
            #expect(response.status == 200)
            #expect(response.body == StaticFixture.allBytes)
            #expect(response.header("Content-Length") == "512")
            #expect(response.header("Content-Type") == "application/octet-stream")
        }

        @Test func pngImageIsByteExactWithImageType() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/logo.png")
            #expect(response.status == 200)
            #expect(response.body == (try StaticFixture.logoPNG()))
            #expect(response.header("Content-Type") == "image/png")
        }

        @Test(arguments: [
            ("a.html", "text/html; charset=utf-8"),
            ("a.htm", "text/html; charset=utf-8"),
            ("a.css", "text/css; charset=utf-8"),
            ("a.txt", "text/plain; charset=utf-8"),
            ("a.png", "image/png"),
            ("a.jpg", "image/jpeg"),
            ("a.jpeg", "image/jpeg"),
            ("a.gif", "image/gif"),
            ("a.pdf", "application/pdf"),
            ("a.unknownext", "application/octet-stream"),
            ("no-extension", "application/octet-stream"),
        ])
        func contentTypeFollowsTheExtension(name: String, type: String) throws {
            let site = try TestSite()
            try site.write(name, "x")
            let server = try Webserv.start(StaticFixture.config, site: site)
            defer { server.stop() }
            let response = try server.get("/" + name)
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == type)
        }

        @Test func fiftyMegabyteFileIsByteExactAndServerMemoryStaysFlat() throws {
            let site = try StaticFixture.makeSite()
            let size = 50 * 1024 * 1024
            try writeLargeFile(atPath: site.docroot + "/big.bin", size: size)
            let server = try Webserv.start(StaticFixture.config, site: site)
            defer { server.stop() }
            let before = try #require(server.peakResidentBytes())

            let downloaded = site.directory + "/big.download"
            let result = try Curl.run(["http://127.0.0.1:\(server.port)/big.bin"], in: site, bodyPath: downloaded)
            #expect(result.exitCode == 0, "curl: \(result.stderr)")
            #expect(result.status == 200)
            #expect(result.header("Content-Length") == String(size))
            let expected = try Data(contentsOf: URL(fileURLWithPath: site.docroot + "/big.bin"))
            let received = try Data(contentsOf: URL(fileURLWithPath: downloaded))
            #expect(received.count == size)
            #expect(received == expected, "the 50 MB body differs from the file")

            // Streamed in chunks through select(): the peak must not grow by anything near the file's size.
            let after = try #require(server.peakResidentBytes())
            #expect(after - before < 24 * 1024 * 1024, "peak RSS grew by \((after - before) >> 20) MiB serving 50 MiB")
        }

        @Test func headHasTheHeadersOfGetAndNoBody() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let get = try server.get("/hello.txt")
            let client = try server.connect()
            // A GET right behind the HEAD: if the HEAD carried a body, it would sit where the GET's status line is.
            try client.send("HEAD /hello.txt HTTP/1.1\r\nHost: a\r\n\r\nGET /page.html HTTP/1.1\r\nHost: a\r\n\r\n")
            let head = try client.readResponse(toHead: true)
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == get.header("Content-Length"))
            #expect(head.header("Content-Type") == get.header("Content-Type"))
            #expect(head.header("Last-Modified") == get.header("Last-Modified"))
            #expect(head.header("Server") == "webserv")
            #expect(head.header("Date").flatMap(IMFFixdate.parse) != nil)
            let next = try client.readResponse()
            #expect(next.status == 200)
            #expect(next.text == StaticFixture.page)
        }

        @Test func curlHeadSeesTheHeadersOfGet() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let result = try Curl.run(["-I", "http://127.0.0.1:\(server.port)/page.html"], in: site)
            #expect(result.exitCode == 0, "curl: \(result.stderr)")
            #expect(result.status == 200)
            #expect(result.header("Content-Length") == String(StaticFixture.page.utf8.count))
            #expect(result.header("Content-Type") == "text/html; charset=utf-8")
        }

        @Test func rootServesTheIndexFile() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/")
            #expect(response.status == 200)
            #expect(response.text == StaticFixture.index)
            #expect(response.header("Content-Type") == "text/html; charset=utf-8")
        }

        @Test func subdirectoryServesItsIndexFile() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/dir/")
            #expect(response.status == 200)
            #expect(response.text == StaticFixture.dirIndex)
        }

        @Test func indexCandidatesAreTriedInOrder() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/multi/")
            #expect(response.status == 200)
            #expect(response.text == StaticFixture.second)
        }

        @Test(arguments: ["/dir", "/listing", "/noindex"])
        func directoryWithoutSlashRedirects(path: String) throws {
            let (site, server) = try StaticFixture.start()
            try site.makeDirectory("listing")
            defer { server.stop(); _ = site }
            let response = try server.get(path)
            #expect(response.status == 301)
            #expect(response.header("Location") == path + "/")
        }

        @Test func directoryWithoutIndexAndAutoindexOffIsNotFound() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/noindex/")
            #expect(response.status == 404)
            #expect(!response.text.contains("file.txt"), "the directory's content leaked")
        }

        @Test func percentEncodedSpaceIsDecoded() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            try site.write("a file.txt", "spaced\n")
            let response = try server.get("/a%20file.txt")
            #expect(response.status == 200)
            #expect(response.text == "spaced\n")
        }

        @Test func encodedSlashStaysInsideItsSegment() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/dir%2Findex.html")
            #expect(response.status == 404)
        }

        @Test func symlinkInsideTheRootIsFollowed() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            try FileManager.default.createSymbolicLink(atPath: site.docroot + "/link.txt",
                                                       withDestinationPath: site.docroot + "/hello.txt")
            let response = try server.get("/link.txt")
            #expect(response.status == 200)
            #expect(response.text == StaticFixture.hello)
        }

        @Test func requestArrivingOneByteAtATimeParsesTheSame() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            for byte in [UInt8]("GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow\r\n\r\n") {
                try client.send([byte])
                usleep(2_000)
            }
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == StaticFixture.hello)
        }

        @Test func absoluteFormTargetIsServed() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.exchange(
                "GET http://127.0.0.1:\(server.port)/hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            #expect(response.status == 200)
            #expect(response.text == StaticFixture.hello)
        }

        @Test func queryStringIsNotPartOfTheFileName() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/hello.txt?x=1&y=%20")
            #expect(response.status == 200)
            #expect(response.text == StaticFixture.hello)
        }
    }
}
