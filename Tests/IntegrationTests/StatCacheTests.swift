import Foundation
import Testing

extension Integration {
    /// Ready answers for hot files (HotResponses): a plain GET of a small file skips routing and the stat()
    /// for at most a second, as lighttpd's stat cache and nginx's open_file_cache do. The server's own writes
    /// are seen at once; another program's within a second; a missing file is never remembered.
    @Suite struct StatCache {
        /// Three GETs make a file hot: streamed, then served from the file cache (remembered), then ready.
        static func warm(_ server: Webserv, _ path: String, expecting body: [UInt8]) throws {
            for _ in 0..<3 {
                let response = try server.get(path)
                #expect(response.status == 200 && response.body == body, "\(path): \(response)")
            }
        }

        /// Polls `path` until its answer has `status` and `body`; returns the seconds it took, nil if never.
        static func secondsUntil(_ server: Webserv, _ path: String, status: Int, body: [UInt8]?) throws -> Double? {
            let start = ContinuousClock.now
            while ContinuousClock.now - start < .seconds(3) {
                let response = try server.get(path)
                if response.status == status && (body == nil || response.body == body) { return seconds(since: start) }
                usleep(20_000)
            }
            return nil
        }

        @Test func ownPutIsSeenAtOnce() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let old = [UInt8]("first version\n")
            #expect(try server.exchange(putRequest("/uploads/page.txt", old)).status == 201)
            try Self.warm(server, "/uploads/page.txt", expecting: old)
            let new = [UInt8]("second\n")
            #expect(try server.exchange(putRequest("/uploads/page.txt", new)).status == 204)
            #expect(try server.get("/uploads/page.txt").body == new)
        }

        @Test func ownDeleteIsSeenAtOnce() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let body = [UInt8]("soon gone\n")
            #expect(try server.exchange(putRequest("/uploads/gone.txt", body)).status == 201)
            try Self.warm(server, "/uploads/gone.txt", expecting: body)
            #expect(try server.exchange("DELETE /uploads/gone.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                .status == 204)
            #expect(try server.get("/uploads/gone.txt").status == 404)
        }

        /// Another program rewrites a hot file: its new bytes are served within the second of trust.
        @Test func anotherProgramsChangeShowsWithinASecond() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let old = [UInt8]("served from memory\n")
            try Data(old).write(to: URL(fileURLWithPath: site.store + "/hot.txt"))
            try Self.warm(server, "/uploads/hot.txt", expecting: old)
            let new = [UInt8]("rewritten by someone else, longer\n")
            try Data(new).write(to: URL(fileURLWithPath: site.store + "/hot.txt"))
            let waited = try Self.secondsUntil(server, "/uploads/hot.txt", status: 200, body: new)
            #expect(waited != nil && waited! < 1.5, "new bytes after \(String(describing: waited)) s")
        }

        @Test func aFileRemovedByAnotherProgramIs404WithinASecond() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let body = [UInt8]("removed behind the server's back\n")
            try Data(body).write(to: URL(fileURLWithPath: site.store + "/removed.txt"))
            try Self.warm(server, "/uploads/removed.txt", expecting: body)
            try FileManager.default.removeItem(atPath: site.store + "/removed.txt")
            let waited = try Self.secondsUntil(server, "/uploads/removed.txt", status: 404, body: nil)
            #expect(waited != nil && waited! < 1.5, "404 after \(String(describing: waited)) s")
        }

        /// ENOENT is never remembered: a file another program creates is served on the next request.
        @Test func aFileCreatedByAnotherProgramShowsAtOnce() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            for _ in 0..<3 { #expect(try server.get("/uploads/new.txt").status == 404) }
            let body = [UInt8]("just made\n")
            try Data(body).write(to: URL(fileURLWithPath: site.store + "/new.txt"))
            let response = try server.get("/uploads/new.txt")
            #expect(response.status == 200 && response.body == body)
        }

        /// Conditional and range requests take the full path even for a hot file.
        @Test func conditionalAndRangeRequestsOfAHotFileAreAnsweredInFull() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let body = [UInt8]("0123456789")
            try Data(body).write(to: URL(fileURLWithPath: site.store + "/digits.txt"))
            try Self.warm(server, "/uploads/digits.txt", expecting: body)
            let hot = try server.get("/uploads/digits.txt")
            let etag = try #require(hot.header("ETag"))
            let range = try server.exchange("GET /uploads/digits.txt HTTP/1.1\r\nHost: a\r\nRange: bytes=2-4\r\n"
                + "Connection: close\r\n\r\n")
            #expect(range.status == 206 && range.body == [UInt8]("234"))
            let notModified = try server.exchange("GET /uploads/digits.txt HTTP/1.1\r\nHost: a\r\n"
                + "If-None-Match: \(etag)\r\nConnection: close\r\n\r\n")
            #expect(notModified.status == 304)
        }
    }
}
