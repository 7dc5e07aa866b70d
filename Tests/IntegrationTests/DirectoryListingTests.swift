import Foundation
import Testing

extension Integration {
    @Suite struct DirectoryListings {
        /// Names that need HTML escaping, percent-encoding, or both.
        static let oddFiles: [String: String] = [
            "plain.txt": "plain\n",
            "a file.txt": "a space\n",
            "fish & chips.txt": "ampersand\n",
            "hash#tag.txt": "hash\n",
            "what?.txt": "question\n",
            "100%.txt": "percent\n",
            "café.txt": "non-ascii\n",
            "<tag>.txt": "angle brackets\n",
            "say \"hi\".txt": "quotes\n",
        ]
        static let oddDirectories = ["sub", "sub dir"]

        static func start() throws -> (TestSite, Webserv) {
            let site = try StaticFixture.makeSite()
            for (name, content) in oddFiles { try site.write("listing/" + name, content) }
            for name in oddDirectories { try site.write("listing/\(name)/inner.txt", "inner of \(name)\n") }
            return (site, try Webserv.start(StaticFixture.config, site: site))
        }

        /// Listings are cached by the directory's identity for at most a second: an added or removed file shows
        /// at once, a file that grows in place shows its new size within a second.
        @Test func listingFollowsTheDirectory() throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            #expect(try server.get("/listing/").text.contains("plain.txt"))
            try site.write("listing/fresh.txt", "new")
            #expect(try server.get("/listing/").text.contains("fresh.txt"), "a new file is listed at once")
            try FileManager.default.removeItem(atPath: site.docroot + "/listing/fresh.txt")
            #expect(!(try server.get("/listing/").text.contains("fresh.txt")), "a removed file is gone at once")

            try site.write("listing/plain.txt", String(repeating: "x", count: 12345))
            usleep(1_100_000)
            #expect(try server.get("/listing/").text.contains("12345"), "the new size shows within a second")
        }

        @Test func listingIsTitledWithThePathAndEscapesEveryName() throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/listing/")
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "text/html; charset=utf-8")
            let html = response.text
            #expect(html.contains("<title>Index of /listing/</title>"))
            #expect(html.contains("Index of /listing/"))
            for name in Self.oddFiles.keys {
                #expect(html.contains(Links.htmlEscape(name)), "\(name) is not shown HTML-escaped")
            }
            #expect(!html.contains("<tag>"), "a name was written into the page unescaped")
        }

        @Test func everyLinkOfTheListingWorks() throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            let listing = try server.get("/listing/")
            #expect(listing.status == 200)
            let hrefs = Links.extract(from: listing.text)

            // Each entry has a link whose decoded path names it.
            var linked: [String: String] = [:]  // entry name (dirs with "/") -> request path
            for href in hrefs {
                #expect(Links.isPercentEncoded(href), "href is not percent-encoded: \(href)")
                guard let path = Links.resolve(href, against: "/listing/") else { continue }
                guard path.hasPrefix("/listing/"), path != "/listing/" else { continue }
                let name = String(path.dropFirst("/listing/".count)).removingPercentEncoding ?? ""
                linked[name] = path
            }
            for name in Self.oddFiles.keys { #expect(linked[name] != nil, "no link to \(name); hrefs: \(hrefs)") }
            for name in Self.oddDirectories { #expect(linked[name + "/"] != nil, "no link to \(name)/; hrefs: \(hrefs)") }

            // Following every href as a browser would answers 200, with the file's own bytes for files.
            for href in hrefs {
                guard let path = Links.resolve(href, against: "/listing/") else { continue }
                let response = try server.get(path)
                #expect(response.status == 200, "\(href) -> \(path) answered \(response.status)")
                let name = String(path.dropFirst("/listing/".count)).removingPercentEncoding ?? ""
                if let content = Self.oddFiles[name] {
                    #expect(response.text == content, "\(path) served the wrong bytes")
                }
            }
        }

        @Test func directoriesAreListedBeforeFiles() throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            let hrefs = Links.extract(from: try server.get("/listing/").text)
                .compactMap { Links.resolve($0, against: "/listing/") }
                .filter { $0.hasPrefix("/listing/") && $0 != "/listing/" }
            let lastDirectory = try #require(hrefs.lastIndex { $0.hasSuffix("/") })
            let firstFile = try #require(hrefs.firstIndex { !$0.hasSuffix("/") })
            #expect(lastDirectory < firstFile, "order: \(hrefs)")
        }

        @Test func subdirectoryListingLinksWork() throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/listing/sub%20dir/")
            #expect(response.status == 200)
            #expect(response.text.contains("Index of /listing/sub dir/"))
            let inner = Links.extract(from: response.text)
                .compactMap { Links.resolve($0, against: "/listing/sub%20dir/") }
                .filter { $0.hasSuffix("inner.txt") }
            #expect(inner == ["/listing/sub%20dir/inner.txt"])
            #expect(try server.get("/listing/sub%20dir/inner.txt").text == "inner of sub dir\n")
        }

        @Test func headOfAListingHasNoBody() throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            let get = try server.get("/listing/")
            let head = try server.get("/listing/", method: "HEAD")
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == get.header("Content-Length"))
        }
    }
}
