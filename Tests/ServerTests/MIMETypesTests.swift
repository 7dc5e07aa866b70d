import Testing
@testable import Server

@Suite struct MIMETypesTests {
    static let cases: [(String, String)] = [
        ("index.html", "text/html; charset=utf-8"),
        ("/a/b/page.HTM", "text/html; charset=utf-8"),
        ("style.css", "text/css; charset=utf-8"),
        ("app.js", "application/javascript; charset=utf-8"),
        ("module.mjs", "application/javascript; charset=utf-8"),
        ("data.json", "application/json; charset=utf-8"),
        ("feed.xml", "application/xml; charset=utf-8"),
        ("notes.txt", "text/plain; charset=utf-8"),
        ("table.csv", "text/csv; charset=utf-8"),
        ("README.md", "text/markdown; charset=utf-8"),
        ("logo.svg", "image/svg+xml; charset=utf-8"),
        ("photo.JPG", "image/jpeg"),
        ("photo.jpeg", "image/jpeg"),
        ("a.png", "image/png"),
        ("a.gif", "image/gif"),
        ("a.webp", "image/webp"),
        ("a.avif", "image/avif"),
        ("favicon.ico", "image/x-icon"),
        ("clip.mp4", "video/mp4"),
        ("clip.webm", "video/webm"),
        ("song.mp3", "audio/mpeg"),
        ("voice.opus", "audio/opus"),
        ("doc.pdf", "application/pdf"),
        ("archive.tar.gz", "application/gzip"),
        ("archive.tgz", "application/gzip"),
        ("archive.zip", "application/zip"),
        ("module.wasm", "application/wasm"),
        ("font.woff2", "font/woff2"),
        ("sheet.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("book.epub", "application/epub+zip"),
        ("list.m3u8", "application/vnd.apple.mpegurl"),
        ("segment.ts", "video/mp2t"),
        ("main.swift", "text/x-swift; charset=utf-8"),
        ("script.py", "text/x-python; charset=utf-8"),
        // No extension, dotfiles, a dot in a directory name, unknown or overlong extensions.
        ("Makefile", "application/octet-stream"),
        (".profile", "application/octet-stream"),
        ("/v1.2/file", "application/octet-stream"),
        ("/dir.html/", "application/octet-stream"),
        ("name.", "application/octet-stream"),
        ("x.unknownext", "application/octet-stream"),
        ("x.qqq", "application/octet-stream"),
        ("", "application/octet-stream"),
        ("/dir/.bashrc", "application/octet-stream"),
        ("/a.b/.css", "application/octet-stream"),
        ("app.webmanifest", "application/manifest+json; charset=utf-8"),
        ("/x.html/css", "application/octet-stream"),
        ("x.aaaahtml", "application/octet-stream"),
        ("café.Html", "text/html; charset=utf-8"),
    ]

    @Test(arguments: cases)
    func extensionGivesContentType(_ path: String, _ expected: String) {
        #expect(MIMETypes.contentType(forPath: path) == expected)
    }

    @Test func everyTextTypeCarriesACharsetAndNoBinaryTypeDoes() {
        for (ext, value) in MIMETypes.byExtension {
            let type = String(value.split(separator: ";")[0])
            let text = type.hasPrefix("text/") || type.hasSuffix("+xml") || type.hasSuffix("json")
                || type == "application/javascript" || type == "application/xml"
            #expect(value.hasSuffix("; charset=utf-8") == text, "\(ext): \(value)")
            #expect(ext == ext.lowercased(), "\(ext)")
            #expect(ext.utf8.count <= MIMETypes.maxExtensionLength, "\(ext)")
        }
    }
}
