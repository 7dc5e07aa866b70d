import Foundation
import Testing

extension Integration {
    /// The pages the server writes itself share one look, and a browser's form post ends on a page that can be
    /// reloaded without posting again.
    @Suite struct BuiltInPages {
        static let viewport = "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        static let footer = "<footer><a href=\"/\">Home</a> · webserv</footer>\n</body>\n</html>\n"
        static let browserAccept = "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"

        /// The text between `<style>` and `</style>`.
        static func stylesheet(of html: String) -> String? {
            guard let open = html.range(of: "<style>\n"), let close = html.range(of: "</style>") else { return nil }
            return String(html[open.upperBound..<close.lowerBound])
        }

        @Test func everyBuiltInPageHasTheSameStyleAViewportAndALinkHome() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            var form = MultipartForm()
            form.addFile(filename: "styled.txt", [UInt8]("styled\n"))
            var empty = MultipartForm()
            empty.addField("comment", "no file")
            let pages: [(String, HTTPResponse)] = [
                ("404", try server.get("/missing.html")),
                ("405", try server.get("/static/page.html", method: "DELETE")),
                ("413", try server.exchange(putRequest("/small/big.bin", [UInt8](repeating: 1, count: 2000)))),
                ("listing", try server.get("/uploads/")),
                ("201", try server.exchange(form.request(to: "/uploads/"))),
                ("400 no file", try server.exchange(empty.request(to: "/uploads/"))),
                ("result", try server.get("/uploads/?uploaded=styled.txt")),
            ]
            #expect(pages.map(\.1.status) == [404, 405, 413, 200, 201, 400, 200])
            let reference = try #require(Self.stylesheet(of: pages[0].1.text))
            #expect(reference.contains("font-family:system-ui"))
            for (name, response) in pages {
                let html = response.text
                #expect(response.header("Content-Type") == "text/html; charset=utf-8", "\(name)")
                #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                                       + Self.viewport + "\n"), "\(name)")
                #expect(Self.stylesheet(of: html) == reference, "\(name) has its own style")
                #expect(html.hasSuffix(Self.footer), "\(name)")
            }
            #expect(pages[5].1.text.contains("<h1>No file chosen</h1>"))
            #expect(Links.extract(from: pages[5].1.text) == ["javascript:history.back()", "/uploads/", "/"])
        }

        @Test func browserFormPostIsSeeOtherToAPageNamingTheStoredFiles() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            var form = MultipartForm()
            form.addFile(filename: "a b.txt", [UInt8]("first\n"))
            form.addFile(filename: "été.txt", [UInt8]("second\n"))
            let posted = try server.exchange(form.request(to: "/uploads/", extraHeaders: Self.browserAccept))
            #expect(posted.status == 303, "\(posted)")
            let location = "/uploads/?uploaded=a%20b.txt&uploaded=%C3%A9t%C3%A9.txt"
            #expect(posted.header("Location") == location)
            #expect(site.storeEntries() == ["a b.txt", "sub", "été.txt"])

            // Reloading the page it leads to stores nothing more.
            for _ in 0..<2 {
                let page = try server.get(location)
                #expect(page.status == 200)
                #expect(page.text.contains("<title>Upload complete</title>"))
                #expect(page.text.contains("<h1>Uploaded 2 files</h1>"))
                #expect(Links.extract(from: page.text)
                        == ["/uploads/a%20b.txt", "/uploads/%C3%A9t%C3%A9.txt", "/uploads/", "/"])
                #expect(page.text.contains(">Every file in /uploads/</a>"))
            }
            #expect(site.storeEntries() == ["a b.txt", "sub", "été.txt"])
            #expect(try server.get("/uploads/a%20b.txt").text == "first\n")

            #expect(try server.get("/uploads/a%20b.txt", method: "DELETE").status == 204)
            let after = try server.get(location)
            #expect(after.text.contains("<li>a b.txt (no longer here)</li>"))
            #expect(Links.extract(from: after.text) == ["/uploads/%C3%A9t%C3%A9.txt", "/uploads/", "/"])
        }

        @Test func clientsThatDoNotAskForHTMLKeep201() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            for (index, accept) in ["", "Accept: */*\r\n", "Accept: text/html;q=0, */*\r\n"].enumerated() {
                var form = MultipartForm()
                form.addFile(filename: "f\(index).txt", [UInt8]("x\n"))
                let response = try server.exchange(form.request(to: "/uploads/", extraHeaders: accept))
                #expect(response.status == 201, "\(accept)")
                #expect(response.header("Location") == "/uploads/f\(index).txt")
            }
            // PUT and raw POST bodies are not forms: 201 even for a browser.
            let put = try server.exchange(putRequest("/uploads/put.txt", [UInt8]("p"), extraHeaders: Self.browserAccept))
            #expect(put.status == 201)
        }

        @Test func resultPageNamesOnlyWhatCouldBeAStoredFile() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            try site.write("secret.txt", "outside\n", inDocroot: false)
            let page = try server.get("/uploads/?uploaded=..%2Fsecret.txt&uploaded=.webserv-tmp&uploaded=sub"
                                      + "&uploaded=%3Cb%3E.txt&other=1")
            #expect(page.status == 200)
            #expect(page.text.contains("<h1>Uploaded 2 files</h1>"))
            #expect(page.text.contains("<li>sub (no longer here)</li>"))
            #expect(page.text.contains("<li>&lt;b&gt;.txt (no longer here)</li>"))
            #expect(!page.text.contains("secret"))
            // Nothing nameable: the listing as usual.
            let listing = try server.get("/uploads/?uploaded=..%2Fsecret.txt")
            #expect(listing.text.contains("<h1>Index of /uploads/</h1>"))
        }
    }
}
