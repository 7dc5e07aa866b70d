import Foundation
import Testing

/// `lang/page.html` exists only as `.en` and `.fr` variants (and a `.bak` that is no language);
/// `exact/page.html` exists next to a `.fr` variant.
enum LanguageFixture {
    static let english = "<p>Hello</p>\n"
    static let french = "<p>Bonjour, ça va ?</p>\n"
    static let exact = "<p>the page itself</p>\n"

    static let config = """
        server {
            listen 127.0.0.1:@PORT@;
            root @ROOT@;
        }
        """

    static func start() throws -> (TestSite, Webserv) {
        let site = try TestSite()
        try site.write("lang/page.html.en", english)
        try site.write("lang/page.html.fr", french)
        try site.write("lang/page.html.bak", "an old copy\n")
        try site.write("lang/notes.txt.bak", "not a language\n")
        try site.write("exact/page.html", exact)
        try site.write("exact/page.html.fr", french)
        return (site, try Webserv.start(config, site: site))
    }

    static func body(_ tag: String) -> String { tag == "fr" ? french : english }
}

extension Integration {
    @Suite struct LanguageVariants {
        typealias F = LanguageFixture

        static let choices: [(String, String)] = [
            ("fr", "fr"), ("en", "en"), ("FR", "fr"),
            ("fr;q=0.9, en;q=0.8", "fr"), ("en;q=0.8, fr;q=0.9", "fr"), ("fr;q=0.5, en", "en"),
            ("en;q=0.1, fr;q=0.2", "fr"), ("de, fr;q=0.5, en;q=0.4", "fr"), ("fr-CA", "fr"), ("en-GB, fr;q=0.9", "en"),
            ("*", "en"), ("*;q=0.5, en;q=0.1", "fr"), ("fr;q=0, *", "en"), ("de-DE, *;q=0.1", "en"),
        ]

        @Test(arguments: choices)
        func qValuesChooseTheVariant(_ accept: String, _ tag: String) throws {
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/lang/page.html", headers: ["Accept-Language: \(accept)"])
            #expect(response.status == 200, "\(accept)")
            #expect(response.text == F.body(tag), "\(accept)")
            #expect(response.header("Content-Language") == tag, "\(accept)")
            #expect(response.header("Content-Location") == "/lang/page.html.\(tag)", "\(accept)")
            #expect(response.header("Vary") == "Accept-Language")
            #expect(response.header("Content-Type") == "text/html; charset=utf-8")
        }

        @Test func withoutAcceptLanguageTheServersFirstVariantIsServed() throws {
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            for headers in [[], ["Accept-Language: "]] {
                let response = try server.get("/lang/page.html", headers: headers)
                #expect(response.status == 200, "\(headers)")
                #expect(response.text == F.english)
                #expect(response.header("Content-Language") == "en")
                #expect(response.header("Content-Location") == "/lang/page.html.en")
                #expect(response.header("Vary") == "Accept-Language")
            }
        }

        @Test(arguments: ["de", "de, ja;q=0.5", "en;q=0, fr;q=0", "*;q=0", "de, *;q=0"])
        func nothingAcceptableServesTheFirstVariantWithVary(_ accept: String) throws {
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/lang/page.html", headers: ["Accept-Language: \(accept)"])
            #expect(response.status == 200, "\(accept)")
            #expect(response.header("Vary") == "Accept-Language", "\(accept)")
            #expect(response.header("Content-Language") == "en")
            #expect(response.header("Content-Location") == "/lang/page.html.en")
            #expect(response.text == F.english)
        }

        /// `default_language` is the server's preference: served when nothing is acceptable, when the client
        /// states none, and on a tie; an acceptable other language still wins.
        @Test func defaultLanguageIsServedWhenTheClientHasNoUsablePreference() throws {
            let site = try TestSite()
            try site.write("lang/page.html.en", F.english)
            try site.write("lang/page.html.fr-CA", F.french)
            let server = try Webserv.start("""
                server {
                    listen 127.0.0.1:@PORT@;
                    root @ROOT@;
                    location /lang/ { default_language fr; }
                }
                """, site: site)
            defer { server.stop(); _ = site }
            for (headers, tag) in [(["Accept-Language: de"], "fr-CA"), ([], "fr-CA"), (["Accept-Language: *"], "fr-CA"),
                                   (["Accept-Language: en;q=0, fr;q=0"], "fr-CA"), (["Accept-Language: en"], "en")] {
                let response = try server.get("/lang/page.html", headers: headers)
                #expect(response.status == 200, "\(headers)")
                #expect(response.header("Content-Language") == tag, "\(headers)")
                #expect(response.header("Vary") == "Accept-Language", "\(headers)")
                #expect(response.text == (tag == "en" ? F.english : F.french), "\(headers)")
            }
            #expect(try server.get("/lang/other.html", headers: ["Accept-Language: fr"]).status == 404)
        }

        @Test func theExistingFileWinsOverItsVariants() throws {
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/exact/page.html", headers: ["Accept-Language: fr"])
            #expect(response.status == 200)
            #expect(response.text == F.exact)
            #expect(response.header("Content-Language") == nil)
            #expect(response.header("Content-Location") == nil)
            // A variant is still a file of its own.
            let direct = try server.get("/lang/page.html.fr")
            #expect(direct.status == 200)
            #expect(direct.text == F.french)
        }

        @Test func suffixesThatAreNoLanguageAreNotVariants() throws {
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            #expect(try server.get("/lang/notes.txt", headers: ["Accept-Language: *"]).status == 404)
            let response = try server.get("/lang/page.html", headers: ["Accept-Language: de, *;q=0.1"])
            #expect(response.text == F.english)
        }

        @Test func demoSitesPageComesInEnglishAndFrench() throws {
            let (site, server) = try AuthFixture.startDemoSite()
            defer { server.stop(); _ = site }
            for (accept, tag) in [("fr-FR, fr;q=0.9, en;q=0.8", "fr"), ("en-US,en;q=0.9", "en"), ("de", "en")] {
                let response = try server.get("/lang/page.html", headers: ["Accept-Language: \(accept)"])
                #expect(response.header("Vary") == "Accept-Language")
                #expect(response.status == 200)
                #expect(response.header("Content-Language") == tag)
                #expect(response.header("Content-Type") == "text/html; charset=utf-8")
                #expect(response.body == FileManager.default.contents(atPath: Repo.root.path + "/www/lang/page.html.\(tag)")
                    .map { [UInt8]($0) })
            }
            #expect(Links.extract(from: try server.get("/").text).contains("/lang/page.html"))
        }

        @Test func contentLocationNamesTheSameRepresentation() throws {
            // RFC 9110 §8.7: Content-Location is a URL for this very representation, so fetching it gives
            // the same type (a browser following it must render HTML, not download octets).
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            let negotiated = try server.get("/lang/page.html", headers: ["Accept-Language: fr"])
            let location = try #require(negotiated.header("Content-Location"))
            let direct = try server.get(location)
            #expect(direct.status == 200)
            #expect(direct.text == F.french)
            #expect(direct.header("Content-Type") == negotiated.header("Content-Type"), "\(location)")
        }

        @Test func severalRangesOfAVariantAreMultipartByteranges() throws {
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/lang/page.html", headers: ["Accept-Language: fr", "Range: bytes=0-2,5-9"])
            #expect(response.status == 206)
            let type = response.header("Content-Type") ?? ""
            #expect(type.hasPrefix("multipart/byteranges; boundary="), "Content-Type: \(type)")
            let parts = try BytesPart.parse(response.body, contentType: type)
            let french = Array(F.french.utf8)
            #expect(parts.map(\.body) == [Array(french[0...2]), Array(french[5...9])])
            for part in parts { #expect(part.header("Content-Type") == "text/html; charset=utf-8") }
        }

        @Test func variantsAnswerHeadConditionalsAndRanges() throws {
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            let full = try server.get("/lang/page.html", headers: ["Accept-Language: fr"])
            let etag = try #require(full.header("ETag"))

            let head = try server.get("/lang/page.html", headers: ["Accept-Language: fr"], method: "HEAD")
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == String(F.french.utf8.count))
            #expect(head.header("Content-Language") == "fr")
            #expect(head.header("ETag") == etag)

            // RFC 9110 §15.4.5: a 304 carries the Vary the 200 would have had.
            let cached = try server.get("/lang/page.html", headers: ["Accept-Language: fr", "If-None-Match: \(etag)"])
            #expect(cached.status == 304)
            #expect(cached.header("Vary") == "Accept-Language")
            #expect(cached.header("ETag") == etag)
            // The English variant is another representation: the French tag does not match it.
            let other = try server.get("/lang/page.html", headers: ["Accept-Language: en", "If-None-Match: \(etag)"])
            #expect(other.status == 200)
            #expect(other.text == F.english)

            let part = try server.get("/lang/page.html", headers: ["Accept-Language: fr", "Range: bytes=3-9"])
            #expect(part.status == 206)
            #expect(part.body == Array(Array(F.french.utf8)[3...9]))
            #expect(part.header("Content-Language") == "fr")
            #expect(part.header("Vary") == "Accept-Language")
        }
    }
}
