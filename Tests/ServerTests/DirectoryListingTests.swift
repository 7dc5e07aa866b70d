import Foundation
import Testing
@testable import Server

@Suite struct DirectoryListingTests {
    static let mtime = 784_111_777  // 06-Nov-1994 08:49

    func html(_ uriPath: String, _ entries: [DirectoryEntry]) -> String {
        String(decoding: DirectoryListing.html(uriPath: uriPath, entries: entries), as: UTF8.self)
    }

    func file(_ name: String, size: Int = 3) -> DirectoryEntry {
        DirectoryEntry(name: name, isDirectory: false, size: size, modified: Self.mtime)
    }

    func dir(_ name: String) -> DirectoryEntry {
        DirectoryEntry(name: name, isDirectory: true, size: 4096, modified: Self.mtime)
    }

    @Test func pageIsTitledWithThePathAndLinksToTheParent() {
        let page = html("/docs/", [])
        #expect(page.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
        #expect(page.contains("<title>Index of /docs/</title>"))
        #expect(page.contains("<h1>Index of /docs/</h1>"))
        #expect(page.contains("<a href=\"../\">../</a>"))
        #expect(page.hasSuffix("</html>\n"))
    }

    static let roundedSizes: [(Int, String)] = [
        (0, "0"), (9999, "9999"), (10_000, "10K"), (10_239, "10K"), (10_752, "11K"), (1_048_575, "1024K"),
        (1_048_576, "1M"), (1_572_863, "1M"), (1_572_864, "2M"), (1 << 30, "1G"), (3 << 29, "2G"),
    ]

    @Test(arguments: roundedSizes)
    func sizesAreRoundedAsNginxRoundsThem(_ size: Int, _ shown: String) {
        #expect(DirectoryListing.roundedSize(size) == shown)
    }

    @Test func roundedSizesReplaceExactOnesInThePage() {
        let page = String(decoding: DirectoryListing.html(uriPath: "/", entries: [file("f", size: 12345)],
                                                          exactSize: false), as: UTF8.self)
        #expect(page.contains("</td><td>12K</td></tr>"))
        #expect(!page.contains("12345"))
    }

    @Test func jsonListsDirectoriesFirstWithEscapedNames() {
        let json = String(decoding: DirectoryListing.json(entries: [file("b\"\\.txt", size: 7), dir("z"),
                                                                   file("a\u{1}é")]), as: UTF8.self)
        let date = "Sun, 06 Nov 1994 08:49:37 GMT"
        #expect(json == """
            [
            { "name":"z", "type":"directory", "mtime":"\(date)" },
            { "name":"a\\u0001é", "type":"file", "mtime":"\(date)", "size":3 },
            { "name":"b\\"\\\\.txt", "type":"file", "mtime":"\(date)", "size":7 }
            ]

            """)
        #expect(DirectoryListing.json(entries: []) == Array("[\n]\n".utf8))
    }

    @Test func rootHasNoParentLink() {
        let page = html("/", [file("a")])
        #expect(page.contains("<title>Index of /</title>"))
        #expect(!page.contains("../"))
    }

    @Test func pathInTitleIsEscaped() {
        let page = html("/<x>&\"'/", [])
        #expect(page.contains("<title>Index of /&lt;x&gt;&amp;&quot;&#39;/</title>"))
        #expect(page.contains("<h1>Index of /&lt;x&gt;&amp;&quot;&#39;/</h1>"))
    }

    static let rows: [(String, Bool, String)] = [
        ("plain.txt", false, "<a href=\"plain.txt\">plain.txt</a>"),
        ("a b", false, "<a href=\"a%20b\">a b</a>"),
        ("<b>", false, "<a href=\"%3Cb%3E\">&lt;b&gt;</a>"),
        ("x&y", false, "<a href=\"x%26y\">x&amp;y</a>"),
        ("#1", false, "<a href=\"%231\">#1</a>"),
        ("100%", false, "<a href=\"100%25\">100%</a>"),
        ("what?", false, "<a href=\"what%3F\">what?</a>"),
        ("q\"'", false, "<a href=\"q%22%27\">q&quot;&#39;</a>"),
        ("a:b", false, "<a href=\"a%3Ab\">a:b</a>"),
        ("back\\slash", false, "<a href=\"back%5Cslash\">back\\slash</a>"),
        ("café", false, "<a href=\"caf%C3%A9\">café</a>"),
        ("日本", false, "<a href=\"%E6%97%A5%E6%9C%AC\">日本</a>"),
        ("-._~Az09", false, "<a href=\"-._~Az09\">-._~Az09</a>"),
        ("sub dir", true, "<a href=\"sub%20dir/\">sub dir/</a>"),
    ]

    @Test(arguments: rows)
    func namesAreEscapedAndHrefsPercentEncoded(_ name: String, _ isDirectory: Bool, _ link: String) {
        let page = html("/d/", [isDirectory ? dir(name) : file(name)])
        #expect(page.contains("<tr><td>" + link + "</td>"), "\(page)")
    }

    @Test func rowShowsDateAndSizeOrDashForDirectories() {
        let page = html("/", [file("f", size: 12345), dir("d")])
        #expect(page.contains("<a href=\"f\">f</a></td><td>06-Nov-1994 08:49</td><td>12345</td></tr>"))
        #expect(page.contains("<a href=\"d/\">d/</a></td><td>06-Nov-1994 08:49</td><td>-</td></tr>"))
    }

    @Test func directoriesComeFirstThenFilesEachInByteOrder() {
        // Byte order, not String order: Swift compares "e\u{301}" and "é" as equal, both after "f".
        let page = html("/", [file("b"), dir("z"), file("B"), file("é"), file("a"), dir("A"), file("f"),
                              file("e\u{301}"), file("_")])
        let names = ["A/", "z/", "B", "_", "a", "b", "e\u{301}", "f", "é"]
        let order = names.map { bytePosition(of: ">\($0)</a>", in: page) }
        #expect(!order.contains(nil))
        let positions = order.compactMap { $0 }
        #expect(positions == positions.sorted())
    }

    /// Where `needle` first occurs, comparing bytes (Foundation's search would equate "e\u{301}" and "é").
    func bytePosition(of needle: String, in text: String) -> Int? {
        let haystack = Array(text.utf8), pattern = Array(needle.utf8)
        guard haystack.count >= pattern.count else { return nil }
        return (0...(haystack.count - pattern.count)).first {
            haystack[$0..<($0 + pattern.count)].elementsEqual(pattern)
        }
    }

    /// A temporary directory with odd names, removed afterwards.
    func withFixture(_ body: (String) throws -> Void) throws {
        let root = NSTemporaryDirectory() + "webserv-listing-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/sub dir", withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: root) }
        for (name, size) in [("a b.txt", 5), ("<b>.html", 1), ("x&y", 0), ("#1", 2), ("100%", 3), ("what?", 4),
                             ("café.txt", 6), (".hidden", 7)] {
            #expect(fm.createFile(atPath: root + "/" + name, contents: Data(repeating: 65, count: size)))
            var times = [timeval(tv_sec: Self.mtime, tv_usec: 0), timeval(tv_sec: Self.mtime, tv_usec: 0)]
            #expect(utimes(root + "/" + name, &times) == 0)
        }
        try fm.createSymbolicLink(atPath: root + "/broken", withDestinationPath: root + "/missing")
        try fm.createSymbolicLink(atPath: root + "/linked", withDestinationPath: root + "/sub dir")
        try body(root)
    }

    @Test func entriesAreReadFromDisk() throws {
        try withFixture { root in
            let entries = try #require(DirectoryListing.entries(ofDirectory: root))
            let byName = Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0) })
            // Hidden files are left out, as nginx does (uploads wait in a hidden directory).
            #expect(Set(byName.keys) == ["a b.txt", "<b>.html", "x&y", "#1", "100%", "what?", "café.txt",
                                         "sub dir", "linked"])
            #expect(byName["a b.txt"] == DirectoryEntry(name: "a b.txt", isDirectory: false, size: 5,
                                                        modified: Self.mtime))
            #expect(byName["sub dir"]?.isDirectory == true)
            #expect(byName["linked"]?.isDirectory == true, "symlinks are followed")
            #expect(DirectoryListing.entries(ofDirectory: root + "/") == entries)
        }
    }

    @Test func everyLinkOfARealListingLeadsBackToItsEntry() throws {
        try withFixture { root in
            let entries = try #require(DirectoryListing.entries(ofDirectory: root))
            let page = html("/files/", entries)
            let hrefs = page.components(separatedBy: "href=\"").dropFirst().map { $0.prefix { $0 != "\"" } }
            var names: Set<String> = []
            // The parent and the footer's link home lead out of the directory.
            for href in hrefs where href != "../" && href != "/" {
                let target = try RequestTarget.parse("/files/" + href)
                let resolved = try #require(PathResolver.fileSystemPath(for: target, in:
                    Location(match: .prefix("/files/"), source: .alias(root))))
                #expect(FileManager.default.fileExists(atPath: resolved), "\(href) → \(resolved)")
                names.insert(String(target.path.dropFirst("/files/".count)))
            }
            #expect(names == Set(entries.map { $0.isDirectory ? $0.name + "/" : $0.name }))
        }
    }

    @Test func missingDirectoryIsNil() {
        #expect(DirectoryListing.entries(ofDirectory: "/nonexistent-webserv-dir") == nil)
        #expect(DirectoryListing.entries(ofDirectory: "/etc/hostname") == nil)
    }
}
