import Testing
@testable import Server

@Suite struct LanguageNegotiationTests {
    @Test(arguments: [
        ("en-US,en;q=0.9,fr;q=0.8,*;q=0.1",
         [LanguageRange("en-us"), LanguageRange("en", quality: 900), LanguageRange("fr", quality: 800),
          LanguageRange("*", quality: 100)]),
        ("da, en-gb;q=0.8 , en;q=0.7",
         [LanguageRange("da"), LanguageRange("en-gb", quality: 800), LanguageRange("en", quality: 700)]),
        ("en;Q=0.5", [LanguageRange("en", quality: 500)]),
        ("en ; q=0", [LanguageRange("en", quality: 0)]),
        ("en;q=1.000, fr;q=0.001", [LanguageRange("en"), LanguageRange("fr", quality: 1)]),
        ("en;level=1;q=0.5", [LanguageRange("en", quality: 500)]),
        ("zh-Hant-CN-x-private1, i-klingon", [LanguageRange("zh-hant-cn-x-private1"), LanguageRange("i-klingon")]),
        ("en;q=2, fr;q=1.001, de;q=0.1234, it;q=-1, es;q=, pt;q=.5, nl", [LanguageRange("nl")]),
        ("123, en_US, abcdefghi, en-abcdefghi, en-, -en, e n", []),
        (",, en ,", [LanguageRange("en")]),
        ("", []),
    ] as [(String, [LanguageRange])])
    func acceptLanguageParsesRangesAndQValues(_ field: String, _ expected: [LanguageRange]) {
        #expect(LanguageNegotiation.parse(field) == expected)
    }

    @Test(arguments: [
        (nil, ["en", "fr"], "en"),
        ("fr", ["en", "fr"], "fr"),
        ("fr;q=0.5, en;q=0.8", ["fr", "en"], "en"),
        ("en", ["en-US", "fr"], "en-US"),
        ("EN-us", ["fr", "en-US"], "en-US"),
        ("en-US", ["en", "fr"], "en"),
        ("en-US", ["fr"], nil),
        ("en-US", ["en-GB", "en"], "en"),
        ("fr-CH, en;q=0.5", ["en", "fr"], "fr"),
        ("fr-CH, fr;q=0.9, en;q=0.8", ["en", "fr"], "fr"),
        ("de, en-US", ["en", "de"], "de"),
        ("en-US, en;q=0.1, de;q=0.5", ["en", "de"], "de"),
        ("zh-Hant-CN-x-private1", ["zh", "zh-Hant-CN"], "zh-Hant-CN"),
        ("*", ["de", "fr"], "de"),
        ("fr-CH, *", ["en", "fr"], "fr"),
        ("*;q=0.5, fr", ["de", "fr"], "fr"),
        ("de;q=0, *", ["de", "fr"], "fr"),
        ("*;q=0", ["de", "fr"], nil),
        ("en;q=0", ["en-US"], nil),
        ("en, en-US;q=0", ["en-US", "en-GB"], "en-GB"),
        ("en-US;q=0", ["en"], nil),
        ("fr;q=0.5, de;q=0.5", ["de", "fr"], "de"),
        ("fr;q=0.5, de;q=0.5", ["fr", "de"], "fr"),
        ("not a language!", ["en", "fr"], "en"),
        ("fr", [], nil),
    ] as [(String?, [String], String?)])
    func bestVariantFollowsQValuesThenServerOrder(_ field: String?, _ tags: [String], _ best: String?) {
        #expect(LanguageNegotiation.bestTag(among: tags, acceptLanguage: field) == best)
    }

    @Test func variantsAreFoundAmongDirectoryEntriesSortedByTag() {
        let names = ["page.html", "page.html.fr", "page.html.en-US", "page.html.en", "page.html.bak",
                     "page.html.br", "page.html.gz", "page.html.old", "other.html.en", "page.htmlx.en",
                     "page.html.", "page.html.de-CH-1996", "page.html.e1", "page.html.en.gz", "page.html.en-",
                     "page.html.xx-YY"]
        #expect(LanguageNegotiation.variants(of: "page.html", among: names) == [
            LanguageVariant(tag: "de-CH-1996", fileName: "page.html.de-CH-1996"),
            LanguageVariant(tag: "en", fileName: "page.html.en"),
            LanguageVariant(tag: "en-US", fileName: "page.html.en-US"),
            LanguageVariant(tag: "fr", fileName: "page.html.fr"),
        ])
    }

    @Test func bestOfVariantsReturnsTheChosenFile() {
        let variants = LanguageNegotiation.variants(of: "index.html", among: ["index.html.en", "index.html.fr"])
        #expect(LanguageNegotiation.best(of: variants, acceptLanguage: "fr-FR, en;q=0.5")?.fileName == "index.html.fr")
        #expect(LanguageNegotiation.best(of: variants, acceptLanguage: "de") == nil)
    }
}

@Suite struct DefaultLanguageTests {
    static let variants = ["de", "en-GB", "en-US", "fr"].map { LanguageVariant(tag: $0, fileName: "p.html." + $0) }

    @Test(arguments: [
        (nil, ["de", "en-GB", "en-US", "fr"]),
        ("fr", ["fr", "de", "en-GB", "en-US"]),
        ("en", ["en-GB", "en-US", "de", "fr"]),
        ("en-us", ["en-US", "de", "en-GB", "fr"]),
        ("e", ["de", "en-GB", "en-US", "fr"]),
        ("ja", ["de", "en-GB", "en-US", "fr"]),
    ] as [(String?, [String])])
    func theDefaultLanguageComesFirstAndTheRestKeepTheirOrder(_ language: String?, _ tags: [String]) {
        #expect(LanguageNegotiation.preferring(language, in: Self.variants).map(\.tag) == tags)
    }
}

@Suite struct CharsetNegotiationTests {
    static let served = ["utf-8", "iso-8859-1"]

    @Test(arguments: [
        (nil, "utf-8"), ("", "utf-8"), ("iso-8859-1", "iso-8859-1"), ("ISO-8859-1;q=0.5, utf-8;q=0.4", "iso-8859-1"),
        ("*", "utf-8"), ("utf-8;q=0, *", "iso-8859-1"), ("koi8-r", nil), ("utf-8;q=0", nil),
        ("utf-8;q=2, iso-8859-1", "iso-8859-1"), ("*;q=0.1, utf-8;q=0.1", "utf-8"),
    ] as [(String?, String?)])
    func acceptCharsetChoosesAmongTheServedCharsets(_ field: String?, _ chosen: String?) {
        #expect(CharsetNegotiation.best(among: Self.served, acceptCharset: field) == chosen)
    }

    @Test func charsetSuffixesFollowTheLanguage() {
        let names = ["p.html.fr.iso-8859-1", "p.html.fr.utf-8", "p.html.fr", "p.html.utf-8", "p.html.fr.latin9",
                     "p.html.en.UTF-8"]
        #expect(LanguageNegotiation.variants(of: "p.html", among: names) == [
            LanguageVariant(tag: "en", fileName: "p.html.en.UTF-8", charset: "utf-8"),
            LanguageVariant(tag: "fr", fileName: "p.html.fr.utf-8", charset: "utf-8"),
            LanguageVariant(tag: "fr", fileName: "p.html.fr.iso-8859-1", charset: "iso-8859-1"),
            LanguageVariant(tag: "fr", fileName: "p.html.fr"),
        ])
        #expect(StaticFiles.contentType(of: "/w/p.html.fr.iso-8859-1") == "text/html; charset=iso-8859-1")
        #expect(StaticFiles.contentType(of: "/w/p.png.fr.utf-8") == "image/png")
        #expect(StaticFiles.contentType(of: "/w/notes.utf-8") == "application/octet-stream")
    }
}
