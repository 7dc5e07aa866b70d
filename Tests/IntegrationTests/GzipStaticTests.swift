import Foundation
import Testing

/// `gzip_static on;`: `FILE.gz` for clients that take gzip, the original for the others, `Vary` for both.
extension Integration {
    @Suite struct GzipStatic {
        static let config = """
            server {
                listen 127.0.0.1:@PORT@;
                root @ROOT@;
                location /gz/ { gzip_static on; }
            }
            """

        static let original = [UInt8](String(repeating: "body { color: #333; } /* stylesheet */\n", count: 40))

        /// `gz/style.css` and its gzip -9 -n copy; `plain/style.css` the same bytes outside gzip_static.
        static func start() throws -> (TestSite, Webserv, compressed: [UInt8]) {
            let site = try TestSite()
            let css = try site.write("gz/style.css", original)
            try site.write("plain/style.css", original)
            let gzip = try Subprocess.run("/bin/gzip", arguments: ["-9", "-n", "-k", css])
            try #require(gzip.succeeded)
            let compressed = try #require(FileManager.default.contents(atPath: css + ".gz").map { [UInt8]($0) })
            try #require(compressed.count < original.count / 4)
            return (site, try Webserv.start(config, site: site), compressed)
        }

        @Test func clientTakingGzipGetsTheCompressedFileWithItsOwnValidators() throws {
            let (site, server, compressed) = try GzipStatic.start()
            defer { server.stop(); _ = site }
            let plain = try server.get("/gz/style.css")
            let packed = try server.get("/gz/style.css", headers: ["Accept-Encoding: gzip, deflate"])
            #expect(packed.status == 200)
            #expect(packed.body == compressed)
            #expect(packed.header("Content-Encoding") == "gzip")
            #expect(packed.header("Vary") == "Accept-Encoding")
            #expect(packed.header("Content-Type") == plain.header("Content-Type"))
            #expect(packed.header("Content-Type")?.hasPrefix("text/css") == true)
            #expect(packed.header("Content-Length") == String(compressed.count))
            let etag = try #require(packed.header("ETag"))
            #expect(etag != plain.header("ETag"))

            // The compressed file's validator revalidates the compressed answer.
            let revalidated = try server.get("/gz/style.css", headers: ["Accept-Encoding: gzip", "If-None-Match: \(etag)"])
            #expect(revalidated.status == 304)
            #expect(revalidated.header("Vary") == "Accept-Encoding")
            #expect(revalidated.header("Content-Encoding") == nil)
            let head = try server.get("/gz/style.css", headers: ["Accept-Encoding: gzip"], method: "HEAD")
            #expect(head.header("Content-Length") == String(compressed.count) && head.header("Content-Encoding") == "gzip")
        }

        /// RFC 9110 §12.5.3: a weight of 0 refuses; `*` stands for gzip when gzip is not named.
        static let acceptEncodings: [(field: String?, gzip: Bool)] = [
            (nil, false), ("", false), ("identity", false), ("br", false), ("gzip;q=0", false),
            ("gzip; q=0.000", false), ("*;q=0", false), ("gzip;q=0, *", false), ("deflate, br;q=1", false),
            ("gzip", true), ("GZIP;Q=1", true), ("x-gzip", true), ("*", true), ("br;q=1, gzip;q=0.001", true),
            ("*;q=0, gzip;q=0.5", true), ("deflate, *;q=0.3", true), ("identity;q=1, gzip ; q=0.8", true),
        ]

        @Test(arguments: acceptEncodings)
        func acceptEncodingWeightsDecide(field: String?, gzip: Bool) throws {
            let (site, server, compressed) = try GzipStatic.start()
            defer { server.stop(); _ = site }
            let answer = try server.get("/gz/style.css", headers: field.map { ["Accept-Encoding: \($0)"] } ?? [])
            #expect(answer.status == 200)
            #expect(answer.body == (gzip ? compressed : GzipStatic.original))
            #expect(answer.header("Content-Encoding") == (gzip ? "gzip" : nil))
            #expect(answer.header("Vary") == "Accept-Encoding")
        }

        @Test func rangesApplyToTheCompressedBytes() throws {
            let (site, server, compressed) = try GzipStatic.start()
            defer { server.stop(); _ = site }
            let part = try server.get("/gz/style.css", headers: ["Accept-Encoding: gzip", "Range: bytes=2-9"])
            #expect(part.status == 206)
            #expect(part.header("Content-Range") == "bytes 2-9/\(compressed.count)")
            #expect(part.body == Array(compressed[2...9]))
            #expect(part.header("Content-Encoding") == "gzip")
            #expect(part.header("Vary") == "Accept-Encoding")
            let beyond = try server.get("/gz/style.css", headers: ["Accept-Encoding: gzip",
                                                                   "Range: bytes=\(compressed.count + 10)-"])
            #expect(beyond.status == 416)
            #expect(beyond.header("Content-Range") == "bytes */\(compressed.count)")
        }

        /// Ready answers (kept for hot files) never give one client's encoding to another: alternating clients
        /// on one keep-alive connection each get their own, many times over.
        @Test func alternatingClientsEachGetTheirEncodingEveryTime() throws {
            let (site, server, compressed) = try GzipStatic.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            defer { client.close() }
            for round in 0..<12 {
                let takesGzip = round % 3 != 0
                let field = takesGzip ? "Accept-Encoding: gzip\r\n" : ""
                try client.send("GET /gz/style.css HTTP/1.1\r\nHost: x\r\n\(field)\r\n")
                let answer = try client.readResponse()
                #expect(answer.body == (takesGzip ? compressed : GzipStatic.original), "round \(round)")
                #expect(answer.header("Content-Encoding") == (takesGzip ? "gzip" : nil), "round \(round)")
            }
        }

        @Test func withoutTheDirectiveOrWithoutAGzFileTheOriginalIsServed() throws {
            let (site, server, _) = try GzipStatic.start()
            defer { server.stop(); _ = site }
            try site.write("gz/lonely.txt", "no gz beside me")
            let lonely = try server.get("/gz/lonely.txt", headers: ["Accept-Encoding: gzip"])
            #expect(lonely.text == "no gz beside me" && lonely.header("Content-Encoding") == nil)
            #expect(lonely.header("Vary") == "Accept-Encoding")
            let off = try server.get("/plain/style.css", headers: ["Accept-Encoding: gzip"])
            #expect(off.body == GzipStatic.original)
            #expect(off.header("Content-Encoding") == nil && off.header("Vary") == nil)
            // The .gz asked for by name is a file like another: its own type, no encoding.
            let direct = try server.get("/gz/style.css.gz", headers: ["Accept-Encoding: gzip"])
            #expect(direct.header("Content-Encoding") == nil)
            #expect(direct.header("Content-Type") != "text/css")
        }

        @Test func languageVariantsHaveTheirCompressedCopiesToo() throws {
            let site = try TestSite()
            try site.write("gz/page.html.en", "<p>English</p>\n")
            let french = try site.write("gz/page.html.fr", "<p>Français</p>\n")
            try #require(try Subprocess.run("/bin/gzip", arguments: ["-9", "-n", "-k", french]).succeeded)
            let server = try Webserv.start(GzipStatic.config, site: site)
            defer { server.stop() }
            let answer = try server.get("/gz/page.html", headers: ["Accept-Language: fr", "Accept-Encoding: gzip"])
            #expect(answer.status == 200)
            #expect(answer.header("Content-Encoding") == "gzip")
            #expect(answer.header("Content-Language") == "fr")
            #expect(answer.headerValues("Vary").sorted() == ["Accept-Encoding", "Accept-Language"])
            let unzipped = try Subprocess.run("/bin/gzip", arguments: ["-dc"], stdin: answer.body)
            #expect(unzipped.stdout.text == "<p>Français</p>\n")
        }

        /// The demo site's stylesheet, through the real curl asking for compression.
        @Test func demoSiteServesItsStylesheetPrecompressed() throws {
            let (site, server) = try DemoSite.start("default.conf", listening: "127.0.0.1:8080")
            defer { server.stop(); _ = site }
            let result = try Curl.run(["--compressed", "http://127.0.0.1:\(server.port)/style.css"], in: site)
            #expect(result.status == 200)
            #expect(result.header("Content-Encoding") == "gzip")
            #expect(result.header("Vary") == "Accept-Encoding")
            #expect(result.body == DemoSite.www("style.css"))
            #expect(result.header("Content-Length") == String(DemoSite.www("style.css.gz").count))
        }
    }
}
