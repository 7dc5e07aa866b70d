import Foundation
import Testing

extension Integration {
    /// The repository's own conf/*.conf and www/, as a newcomer meets them (only the port is changed).
    @Suite struct DemoSite {
        /// Starts a sample config with its fixed port swapped for a free one and `../www` made absolute
        /// (the copy lives in a temp directory, where `../www` would mean something else).
        static func start(_ name: String, listening original: String) throws -> (TestSite, Webserv) {
            let site = try TestSite()
            let text = try String(contentsOfFile: Repo.root.path + "/conf/" + name, encoding: .utf8)
            #expect(text.contains("listen \(original);"))
            let config = text
                .replacingOccurrences(of: "listen \(original);", with: "listen 127.0.0.1:@PORT@;")
                .replacingOccurrences(of: "../www", with: Repo.root.path + "/www")
                .replacingOccurrences(of: "include mime.types;", with: "include \(Repo.root.path)/conf/mime.types;")
                .replacingOccurrences(of: "auth_basic_user_file htpasswd;",
                                      with: "auth_basic_user_file \(Repo.root.path)/conf/htpasswd;")
            return (site, try Webserv.start(config, site: site, configName: name))
        }

        static func www(_ path: String) -> [UInt8] {
            FileManager.default.contents(atPath: Repo.root.path + "/www/" + path).map { [UInt8]($0) } ?? []
        }

        @Test func everyLinkOfTheDemoSiteWorks() throws {
            let (site, server) = try Self.start("default.conf", listening: "127.0.0.1:8080")
            defer { server.stop(); _ = site }
            var queue = ["/"]
            var seen: Set<String> = ["/"]
            var fetched = 0
            while !queue.isEmpty && fetched < 200 {
                let path = queue.removeFirst()
                // Signed in as the demo user, as a browser is after the /private/ prompt.
                let response = try server.get(path, headers: ["Authorization: Basic ZGVtbzpkZW1v"])
                fetched += 1
                #expect(response.status == 200, "\(path) answered \(response.status)")
                guard response.header("Content-Type")?.hasPrefix("text/html") == true else { continue }
                for link in Links.extract(from: response.text, attributes: ["href", "src"]) {
                    guard let target = Links.resolve(link, against: path), !seen.contains(target) else { continue }
                    seen.insert(target)
                    queue.append(target)
                }
            }
            #expect(queue.isEmpty, "more than 200 pages: a link loop?")
            for required in ["/about.html", "/files/", "/style.css", "/images/logo.png", "/images/photo.jpg",
                             "/favicon.ico", "/files/docs/guide.txt", "/private/", "/lang/page.html"] {
                #expect(seen.contains(required), "\(required) is not reachable from the home page")
            }
            #expect(seen.contains { $0.hasPrefix("/files/") && $0.contains("%20") }, "the listing's spaced name was not followed")
        }

        @Test func demoPagesAreServedByteExact() throws {
            let (site, server) = try Self.start("default.conf", listening: "127.0.0.1:8080")
            defer { server.stop(); _ = site }
            for (path, type) in [("/", "text/html; charset=utf-8"), ("/about.html", "text/html; charset=utf-8"),
                                 ("/style.css", "text/css; charset=utf-8"), ("/images/logo.png", "image/png"),
                                 ("/images/photo.jpg", "image/jpeg")] {
                let response = try server.get(path)
                #expect(response.status == 200)
                #expect(response.body == Self.www(path == "/" ? "index.html" : String(path.dropFirst())), "\(path)")
                #expect(response.header("Content-Type") == type, "\(path)")
            }
            #expect(try server.get("/favicon.ico").body == Self.www("favicon.ico"))
        }

        @Test func wrongURLGetsTheFriendly404Page() throws {
            let (site, server) = try Self.start("default.conf", listening: "127.0.0.1:8080")
            defer { server.stop(); _ = site }
            for path in ["/no-such-page", "/files/nope.txt", "/a/b/c.html"] {
                let response = try server.get(path)
                #expect(response.status == 404)
                #expect(response.body == Self.www("errors/404.html"), "\(path)")
            }
        }

        @Test func filesWithoutSlashRedirectsToTheListing() throws {
            let (site, server) = try Self.start("default.conf", listening: "127.0.0.1:8080")
            defer { server.stop(); _ = site }
            let response = try server.get("/files")
            #expect(response.status == 301)
            #expect(response.header("Location") == "/files/")
            let listing = try server.get("/files/")
            #expect(listing.status == 200)
            #expect(listing.text.contains("Index of /files/"))
        }

        @Test func curlFollowsTheRedirectToTheListing() throws {
            let (site, server) = try Self.start("default.conf", listening: "127.0.0.1:8080")
            defer { server.stop(); _ = site }
            let result = try Curl.run(["-L", "http://127.0.0.1:\(server.port)/files"], in: site)
            #expect(result.exitCode == 0, "curl: \(result.stderr)")
            #expect(result.status == 200)
            #expect(result.body.text.contains("Index of /files/"))
        }

        @Test func vhostsSampleChoosesTheSiteByHost() throws {
            let (site, server) = try Self.start("vhosts.conf", listening: "127.0.0.1:8081")
            defer { server.stop(); _ = site }
            let home = try server.get("/", host: "site.test")
            #expect(home.status == 200)
            #expect(home.body == Self.www("index.html"))
            let files = try server.get("/", host: "files.test")
            #expect(files.status == 200)
            #expect(files.text.contains("Index of /"))
            #expect(try server.get("/readme.txt", host: "www.files.test").body == Self.www("files/readme.txt"))
            let fallback = try server.get("/", host: "unknown.test")
            #expect(fallback.body == Self.www("index.html"))
        }
    }
}
