import Foundation
import Testing

extension Integration {
    /// Variants that differ by charset as well as language (`page.html.fr.utf-8`, `page.html.fr.iso-8859-1`),
    /// chosen by Accept-Charset together with Accept-Language.
    @Suite struct CharsetVariants {
        static let frenchUTF8: [UInt8] = [UInt8]("<p>ça va</p>\n")
        static let frenchLatin1: [UInt8] = [UInt8]("<p>") + [0xE7] + [UInt8]("a va</p>\n")
        static let english: [UInt8] = [UInt8]("<p>fine</p>\n")

        static func start() throws -> (TestSite, Webserv) {
            let site = try TestSite()
            try site.write("cs/page.html.fr.utf-8", frenchUTF8)
            try site.write("cs/page.html.fr.iso-8859-1", frenchLatin1)
            try site.write("cs/page.html.en.utf-8", english)
            return (site, try Webserv.start(LanguageFixture.config, site: site))
        }

        static let choices: [(String, String, String)] = [
            ("fr", "", "fr.utf-8"),
            ("fr", "iso-8859-1", "fr.iso-8859-1"),
            ("fr", "ISO-8859-1", "fr.iso-8859-1"),
            ("fr", "utf-8;q=0.5, iso-8859-1", "fr.iso-8859-1"),
            ("fr", "iso-8859-1;q=0.2, utf-8", "fr.utf-8"),
            ("fr", "*", "fr.utf-8"),
            ("fr", "koi8-r", "fr.utf-8"),
            ("fr", "utf-8;q=0, *;q=0.5", "fr.iso-8859-1"),
            ("de", "iso-8859-1", "en.utf-8"),
            ("en", "iso-8859-1", "en.utf-8"),
        ]

        @Test(arguments: choices)
        func languageThenCharsetChooseTheVariant(_ language: String, _ charset: String, _ suffix: String) throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            var headers = ["Accept-Language: \(language)"]
            if !charset.isEmpty { headers.append("Accept-Charset: \(charset)") }
            let response = try server.get("/cs/page.html", headers: headers)
            let expected = [
                "fr.utf-8": Self.frenchUTF8, "fr.iso-8859-1": Self.frenchLatin1, "en.utf-8": Self.english,
            ][suffix]
            #expect(response.status == 200, "\(headers)")
            #expect(response.body == expected, "\(headers)")
            #expect(response.header("Content-Type") == "text/html; charset=" + suffix.dropFirst(3), "\(headers)")
            #expect(response.header("Content-Language") == String(suffix.prefix(2)), "\(headers)")
            #expect(response.header("Content-Location") == "/cs/page.html." + suffix, "\(headers)")
            #expect(response.header("Vary") == "Accept-Language, Accept-Charset", "\(headers)")
        }

        @Test func aVariantAskedForByNameStatesItsCharset() throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            let latin = try server.get("/cs/page.html.fr.iso-8859-1")
            #expect(latin.status == 200)
            #expect(latin.header("Content-Type") == "text/html; charset=iso-8859-1")
            #expect(latin.body == Self.frenchLatin1)
            #expect(try server.get("/cs/page.html.en.utf-8").header("Content-Type") == "text/html; charset=utf-8")
        }
    }
}

extension Integration {
    /// nginx's `charset NAME;`: files of `charset_types` are labelled with it; everything else keeps its type.
    @Suite struct CharsetDirective {
        static let config = """
            server {
                listen 127.0.0.1:@PORT@;
                root @ROOT@;
                charset KOI8-R;
                location /utf/ { charset off; }
                location /list/ { autoindex on; }
            }
            """

        @Test func filesOfTheCharsetTypesSayTheConfiguredCharset() throws {
            let site = try TestSite()
            for name in ["a.html", "a.txt", "a.css", "a.json", "utf/b.html", "list/c.txt"] { try site.write(name, "x\n") }
            try site.write("cs/page.html.fr.iso-8859-1", CharsetVariants.frenchLatin1)
            try site.write("cs/page.html.en", CharsetVariants.english)
            let server = try Webserv.start(Self.config, site: site)
            defer { server.stop(); _ = site }
            let expected: [(String, [String], String)] = [
                ("/a.html", [], "text/html; charset=koi8-r"),
                ("/a.html", [], "text/html; charset=koi8-r"),  // now from the file cache
                ("/a.html", [], "text/html; charset=koi8-r"),  // now a ready answer (HotResponses)
                ("/a.html", [], "text/html; charset=koi8-r"),
                ("/a.html", ["Range: bytes=0-0"], "text/html; charset=koi8-r"),
                ("/a.txt", [], "text/plain; charset=koi8-r"),
                ("/a.css", [], "text/css; charset=utf-8"),
                ("/a.json", [], "application/json; charset=utf-8"),
                ("/utf/b.html", [], "text/html; charset=utf-8"),
                ("/list/", [], "text/html; charset=utf-8"),
                ("/missing.html", [], "text/html; charset=utf-8"),
                ("/cs/page.html", ["Accept-Language: fr"], "text/html; charset=iso-8859-1"),
                ("/cs/page.html", ["Accept-Language: en"], "text/html; charset=koi8-r"),
            ]
            for (path, headers, type) in expected {
                let response = try server.get(path, headers: headers)
                #expect(response.header("Content-Type") == type, "\(path) \(headers)")
            }
            let head = try server.get("/a.html", headers: [], method: "HEAD")
            #expect(head.header("Content-Type") == "text/html; charset=koi8-r")
            #expect(head.header("Content-Length") == "2")
        }
    }
}
