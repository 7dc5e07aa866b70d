import Foundation
import Testing

extension Integration {
    /// The demo site's upload form and `/uploads/` location, as conf/default.conf sets them up.
    @Suite struct UploadDemoSite {
        /// conf/default.conf with its port swapped, `../www` made absolute, and the upload store moved to a
        /// temp directory (aliased, so what is stored is also what is served), so tests never write into www/.
        static func start() throws -> (TestSite, Webserv) {
            let site = try TestSite()
            try FileManager.default.createDirectory(atPath: site.directory + "/uploads", withIntermediateDirectories: true)
            let text = try String(contentsOfFile: Repo.root.path + "/conf/default.conf", encoding: .utf8)
            #expect(text.contains("upload_store ../www/uploads;"))
            let config = text
                .replacingOccurrences(of: "listen 127.0.0.1:8080;", with: "listen 127.0.0.1:@PORT@;")
                .replacingOccurrences(of: "upload_store ../www/uploads;", with: "upload_store @DIR@/uploads; alias @DIR@/uploads/;")
                .replacingOccurrences(of: "alias ../www/uploads/;", with: "alias @DIR@/uploads/;")
                .replacingOccurrences(of: "../www", with: Repo.root.path + "/www")
                .replacingOccurrences(of: "include mime.types;", with: "include \(Repo.root.path)/conf/mime.types;")
                .replacingOccurrences(of: "auth_basic_user_file htpasswd;",
                                      with: "auth_basic_user_file \(Repo.root.path)/conf/htpasswd;")
            return (site, try Webserv.start(config, site: site, configName: "default.conf"))
        }

        @Test func homePageLinksToTheUploadForm() throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            let home = try server.get("/")
            #expect(Links.extract(from: home.text).contains("/upload.html"))
            let page = try server.get("/upload.html")
            #expect(page.status == 200)
            let html = page.text
            #expect(html.contains("<form action=\"/uploads/\" method=\"post\" enctype=\"multipart/form-data\">"))
            #expect(html.range(of: "<input type=\"file\"[^>]* name=\"files\"[^>]* multiple>", options: .regularExpression) != nil)
        }

        @Test func formUploadIsStoredListedAndDeletable() throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            let text = try site.write("in/hello.txt", "hello from the form\n", inDocroot: false)
            let binary = try site.write("in/photo.jpg", patternBytes(count: 3_000_000, seed: 8), inDocroot: false)
            // What a browser sends for the form: both files in one multipart/form-data POST.
            let posted = try Curl.run(["-F", "files=@\(text)", "-F", "files=@\(binary)",
                                       "http://127.0.0.1:\(server.port)/uploads/"], in: site)
            #expect(posted.status == 201, "\(posted.stderr)")
            #expect(posted.header("Location") == "/uploads/hello.txt")
            #expect(Links.extract(from: posted.body.text) == ["/uploads/hello.txt", "/uploads/photo.jpg", "/uploads/", "/"])
            #expect(try SHA256.hex(ofFile: site.directory + "/uploads/photo.jpg") == SHA256.hex(ofFile: binary))

            let listing = try server.get("/uploads/")
            #expect(listing.status == 200)
            let links = Links.extract(from: listing.text)
            #expect(links.contains("hello.txt") && links.contains("photo.jpg"), "\(links)")
            #expect(try server.get("/uploads/hello.txt").text == "hello from the form\n")

            #expect(try server.get("/uploads/hello.txt", method: "DELETE").status == 204)
            #expect(try server.get("/uploads/hello.txt").status == 404)
            #expect(!Links.extract(from: try server.get("/uploads/").text).contains("hello.txt"))
        }

        @Test func curlPutStoresAndReplaces() throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            let source = try site.write("in/notes.txt", "notes\n", inDocroot: false)
            let url = "http://127.0.0.1:\(server.port)/uploads/notes.txt"
            #expect(try Curl.run(["-T", source, url], in: site).status == 201)
            #expect(try Curl.run(["-T", source, url], in: site).status == 204)
            #expect(FileManager.default.contents(atPath: site.directory + "/uploads/notes.txt") == Data("notes\n".utf8))
        }

        /// /uploads.html lists the store through `autoindex_format json` and deletes with DELETE.
        @Test func uploadsPageListsTheStoreAsJSONAndDeletesWithAButton() throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            let page = try server.get("/uploads.html")
            #expect(page.status == 200)
            #expect(page.text.contains("fetch(\"/api/uploads/\")"))
            #expect(page.text.contains("{ method: \"DELETE\" }"))
            #expect(Links.extract(from: try server.get("/upload.html").text).contains("/uploads.html"))
            #expect(try server.get("/api/uploads/").text == "[\n]\n")
            #expect(try server.exchange(putRequest("/uploads/a%20b.txt", [UInt8]("12345"))).status == 201)
            let listed = try server.get("/api/uploads/")
            #expect(listed.header("Content-Type") == "application/json")
            let entries = try JSONSerialization.jsonObject(with: Data(listed.body)) as? [[String: Any]]
            #expect(entries?.count == 1)
            #expect(entries?.first?["name"] as? String == "a b.txt")
            #expect(entries?.first?["size"] as? Int == 5)
            // What the button sends: the name as encodeURIComponent writes it.
            #expect(try server.get("/uploads/a%20b.txt", method: "DELETE").status == 204)
            #expect(try server.get("/api/uploads/").text == "[\n]\n")
        }

        /// Large files show progress through a script; the form itself still posts without JavaScript, and a
        /// browser's post ends on the result page.
        @Test func uploadPageShowsProgressAndStillPostsWithoutJavaScript() throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            let html = try server.get("/upload.html").text
            #expect(html.contains("<progress max=\"100\" value=\"0\"></progress>"))
            #expect(html.contains("request.upload.addEventListener(\"progress\""))
            #expect(html.contains("request.setRequestHeader(\"Accept\", \"text/html\")"))
            #expect(html.contains("<form action=\"/uploads/\" method=\"post\" enctype=\"multipart/form-data\">"))
            var form = MultipartForm()
            form.addFile(field: "files", filename: "progress.txt", [UInt8]("shown\n"))
            let posted = try server.exchange(form.request(to: "/uploads/", extraHeaders: "Accept: text/html\r\n"))
            #expect(posted.status == 303)
            #expect(posted.header("Location") == "/uploads/?uploaded=progress.txt")
            let result = try server.get("/uploads/?uploaded=progress.txt")
            #expect(Links.extract(from: result.text).first == "/uploads/progress.txt")
        }

        /// The two-language page switches language through links to the variants themselves.
        @Test func languagePageHasASwitcher() throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            for (accept, other, body) in [("en", "page.html.fr", "Une page, deux langues"),
                                          ("fr", "page.html.en", "One page, two languages")] {
                let page = try server.get("/lang/page.html", headers: ["Accept-Language: \(accept)"])
                #expect(Links.extract(from: page.text).contains(other), "\(accept)")
                let switched = try server.get("/lang/" + other)
                #expect(switched.status == 200)
                #expect(switched.text.contains(body))
            }
        }

        /// The curl examples name the address the page came from (a script fills it in), not a fixed port.
        @Test func examplesUseTheAddressThePageCameFrom() throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            let script = try server.get("/origin.js")
            #expect(script.status == 200)
            #expect(script.header("Content-Type") == "application/javascript; charset=utf-8")
            #expect(script.text.contains("location.origin"))
            for page in ["/", "/upload.html", "/lang/page.html.en", "/lang/page.html.fr"] {
                let html = try server.get(page).text
                #expect(html.contains("<script src=\"/origin.js\"></script>"), "\(page)")
                let bare = html.replacingOccurrences(of: "<span class=\"origin\">http://127.0.0.1:8080</span>", with: "")
                #expect(!bare.contains("8080"), "\(page) names port 8080 outside an origin span")
            }
        }

        /// Every page of the demo renders at the phone's width.
        @Test func everyDemoPageHasAViewport() throws {
            let www = Repo.root.path + "/www"
            let pages = (FileManager.default.enumerator(atPath: www)?.allObjects as? [String] ?? [])
                .filter { $0.hasSuffix(".html") || $0.contains(".html.") || $0.hasSuffix(".php") || $0.hasSuffix(".py") }
            #expect(pages.count >= 12, "\(pages)")
            for page in pages {
                let text = (try? String(contentsOfFile: www + "/" + page, encoding: .utf8)) ?? ""
                #expect(text.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"),
                        "\(page)")
            }
        }

        /// The rest of the site keeps the server's 1 MB limit; the uploads location raises it.
        @Test func uploadsLocationRaisesTheBodyLimit() throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            let big = patternBytes(count: 2 * 1024 * 1024)
            #expect(try server.exchange(putRequest("/uploads/two-megabytes.bin", big)).status == 201)
            let client = try server.connect()
            defer { client.close() }
            try client.send("PUT /files/two-megabytes.bin HTTP/1.1\r\nHost: a\r\nContent-Length: \(big.count)\r\n\r\n")
            // As nginx does, the declared size is refused before the method is looked at.
            #expect(try client.readResponse().status == 413)
        }
    }
}
