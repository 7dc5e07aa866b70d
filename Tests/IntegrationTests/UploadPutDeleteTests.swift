import Foundation
import Testing

extension Integration {
    /// PUT writes a named file (201 new, 204 replaced, 409 impossible); DELETE removes one, never outside.
    @Suite struct PutAndDelete {
        @Test func putCreatesThenReplaces() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let first = patternBytes(count: 70_000, seed: 1)
            let created = try server.exchange(putRequest("/uploads/doc.bin", first))
            #expect(created.status == 201)
            #expect(created.header("Location") == "/uploads/doc.bin")
            #expect(try server.get("/uploads/doc.bin").body == first)

            let second = [UInt8]("shorter replacement\n")
            let replaced = try server.exchange(putRequest("/uploads/doc.bin", second))
            #expect(replaced.status == 204)
            #expect(replaced.body.isEmpty)
            #expect(replaced.header("Content-Length") == nil || replaced.header("Content-Length") == "0")
            #expect(try server.get("/uploads/doc.bin").body == second)
            #expect(site.stored("doc.bin") == second)
            #expect(site.storeEntries() == ["doc.bin", "sub"])
        }

        @Test func putOfAnEmptyBodyCreatesAnEmptyFile() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.exchange(putRequest("/uploads/empty", []))
            #expect(response.status == 201)
            #expect(site.stored("empty") == [])
        }

        @Test func putWithCurlUploadsAFile() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let source = try site.write("in/curl.bin", patternBytes(count: 3_000_000, seed: 5), inDocroot: false)
            let result = try Curl.run(["-T", source, "http://127.0.0.1:\(server.port)/uploads/curl.bin"], in: site)
            #expect(result.status == 201, "\(result.stderr)")
            #expect(try SHA256.hex(ofFile: site.store + "/curl.bin") == SHA256.hex(ofFile: source))
        }

        @Test func putIntoAnExistingSubdirectory() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.exchange(putRequest("/uploads/sub/n%C3%A9.txt", [UInt8]("accent\n")))
            #expect(response.status == 201)
            #expect(FileManager.default.contents(atPath: site.store + "/sub/né.txt") == Data("accent\n".utf8))
        }

        @Test(arguments: ["/uploads/missing-dir/file.txt", "/uploads/sub", "/uploads/sub/", "/uploads/"])
        func putThatCannotBeAFileIs409(path: String) throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.exchange(putRequest(path, [UInt8]("x")))
            #expect(response.status == 409, "\(path): \(response)")
            #expect(site.storeEntries() == ["sub"])
            #expect(FileManager.default.fileExists(atPath: site.store + "/sub"))
            #expect(site.temporaries().isEmpty)
        }

        @Test func putWithoutUploadStoreWritesUnderTheRoot() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let created = try server.exchange(putRequest("/files/new.txt", [UInt8]("in the root\n")))
            #expect(created.status == 201)
            #expect(FileManager.default.contents(atPath: site.docroot + "/files/new.txt") == Data("in the root\n".utf8))
            let replaced = try server.exchange(putRequest("/files/keep.txt", [UInt8]("replaced\n")))
            #expect(replaced.status == 204)
            #expect(try server.get("/files/keep.txt").text == "replaced\n")
        }

        @Test func putWhereNotAllowedIs405AndWritesNothing() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.exchange(putRequest("/readonly/x.txt", [UInt8]("x")))
            #expect(response.status == 405)
            #expect(response.tokens("Allow") == ["GET"])
            #expect(site.storeEntries() == ["sub"])
        }

        @Test func deleteRemovesThenIs404() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            #expect(try server.exchange(putRequest("/uploads/gone.txt", [UInt8]("bye\n"))).status == 201)
            let deleted = try server.get("/uploads/gone.txt", method: "DELETE")
            #expect(deleted.status == 204)
            #expect(deleted.body.isEmpty)
            #expect(site.storeEntries() == ["sub"])
            #expect(try server.get("/uploads/gone.txt").status == 404)
            #expect(try server.get("/uploads/gone.txt", method: "DELETE").status == 404)
        }

        @Test func deleteOfADirectoryIs409AndKeepsIt() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            for path in ["/uploads/sub", "/uploads/sub/", "/uploads/", "/files/dir", "/files/dir/"] {
                #expect(try server.get(path, method: "DELETE").status == 409, "\(path)")
            }
            #expect(FileManager.default.fileExists(atPath: site.store + "/sub"))
            #expect(FileManager.default.fileExists(atPath: site.docroot + "/files/dir"))
        }

        @Test func deleteWithoutUploadStoreActsOnTheRoot() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            #expect(try server.get("/files/doomed.txt", method: "DELETE").status == 204)
            #expect(!FileManager.default.fileExists(atPath: site.docroot + "/files/doomed.txt"))
            #expect(try server.get("/files/doomed.txt").status == 404)
        }

        @Test func deleteWhereNotAllowedIs405() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            try site.write("static/victim.txt", "stay\n")
            let response = try server.get("/static/victim.txt", method: "DELETE")
            #expect(response.status == 405)
            #expect(response.tokens("Allow") == ["GET", "HEAD", "POST"])
            #expect(FileManager.default.fileExists(atPath: site.docroot + "/static/victim.txt"))
        }

        /// Dot segments are resolved before routing: whatever answers, nothing outside the location's files goes.
        @Test(arguments: [
            "/uploads/../index.html", "/uploads/%2e%2e/index.html", "/uploads/..%2findex.html", "/uploads/..%2Findex.html",
            "/uploads/sub/../../index.html", "/uploads/../../outside.txt", "/uploads/../../root/index.html",
            "/files/../index.html", "/files/../../outside.txt", "/files/%2e%2e/%2e%2e/outside.txt", "/files/..%2f..%2foutside.txt",
            "/uploads/../../store/sub/../../outside.txt",
        ])
        func deleteNeverReachesOutsideItsLocation(path: String) throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            defer { client.close() }
            try client.send("DELETE \(path) HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status != 204, "\(path) answered 204")
            #expect([400, 404, 405].contains(response.status), "\(path): \(response.status)")
            #expect(FileManager.default.fileExists(atPath: site.docroot + "/index.html"), "\(path) deleted index.html")
            #expect(FileManager.default.fileExists(atPath: site.directory + "/outside.txt"), "\(path) deleted outside.txt")
            #expect(try server.get("/index.html").text == "<h1>index</h1>\n")
        }

        @Test(arguments: ["/uploads/../index.html", "/uploads/..%2findex.html", "/files/../../outside.txt"])
        func putNeverWritesOutsideItsLocation(path: String) throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            defer { client.close() }
            try client.send(putRequest(path, [UInt8]("overwritten\n")))
            let response = try client.readResponse()
            #expect([400, 404, 405].contains(response.status), "\(path): \(response.status)")
            #expect(try server.get("/index.html").text == "<h1>index</h1>\n")
            #expect(FileManager.default.contents(atPath: site.directory + "/outside.txt") == Data("outside the docroot\n".utf8))
        }

        @Test func deleteOfAListedUploadRemovesItFromTheListing() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            var form = MultipartForm()
            form.addFile(filename: "listed file.txt", [UInt8]("listed\n"))
            let created = try server.exchange(form.request(to: "/uploads/"))
            let href = try #require(created.header("Location"))
            #expect(Links.extract(from: try server.get("/uploads/").text).contains("listed%20file.txt"))
            #expect(try server.get(href, method: "DELETE").status == 204)
            #expect(!Links.extract(from: try server.get("/uploads/").text).contains("listed%20file.txt"))
        }
    }
}
