import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A server with an upload store outside its docroot, the fixture of the upload, body and method suites.
/// GET serves a location's root or alias, not its store: the alias makes the two the same directory.
///
/// - `/uploads/`: GET HEAD POST PUT DELETE into `store/`, listed, 1 GiB limit.
/// - `/small/`: the same store with a 1 KiB limit.
/// - `/readonly/`: the store, GET only.
/// - `/files/`: PUT and DELETE without a store, so they act on the docroot.
/// - `/static/`: POST allowed, no store and no CGI: answered as GET.
enum UploadFixture {
    static let config = """
        server {
            listen 127.0.0.1:@PORT@;
            root @ROOT@;
            client_max_body_size 1g;
            location /uploads/ { alias @DIR@/store/; allow_methods GET HEAD POST PUT DELETE; upload_store @DIR@/store; autoindex on; }
            location /small/ { alias @DIR@/store/; allow_methods GET POST PUT DELETE; upload_store @DIR@/store; client_max_body_size 1k; }
            location /readonly/ { alias @DIR@/store/; allow_methods GET; upload_store @DIR@/store; }
            location /files/ { allow_methods GET HEAD PUT DELETE; }
            location /static/ { allow_methods GET HEAD POST; client_max_body_size 1k; }
            location /r301 { return 301 /index.html; }
            location /r302 { return 302 https://example.com/elsewhere?x=1; }
            location /r303 { return 303 /see-other; }
            location /r307 { return 307 ../other; }
            location /r308 { return 308 /permanent; }
            location /text { return 200 "plain words from return"; }
            location /gone { return 410; }
        }
        """

    static func start() throws -> (TestSite, Webserv) {
        let site = try TestSite()
        try site.write("index.html", "<h1>index</h1>\n")
        try site.write("static/page.html", "<p>static page</p>\n")
        try site.write("files/keep.txt", "keep me\n")
        try site.write("files/doomed.txt", "delete me\n")
        try site.makeDirectory("files/dir")
        try site.write("outside.txt", "outside the docroot\n", inDocroot: false)
        try FileManager.default.createDirectory(atPath: site.store + "/sub", withIntermediateDirectories: true)
        return (site, try Webserv.start(config, site: site))
    }
}

extension TestSite {
    var store: String { directory + "/store" }

    /// Every name in the store (hidden ones too), sorted; `sub` is the fixture's own directory. The
    /// temporaries directory is not a name but its files are, as `.webserv-tmp/NAME`: `["sub"]` means
    /// nothing stored and nothing left behind.
    func storeEntries() -> [String] { Self.entries(of: store) }

    /// The names in `directory` as `storeEntries()` gives them.
    static func entries(of directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let waiting = ((try? FileManager.default.contentsOfDirectory(atPath: directory + "/.webserv-tmp")) ?? [])
            .map { ".webserv-tmp/" + $0 }
        return (names.filter { $0 != ".webserv-tmp" } + waiting).sorted()
    }

    /// Upload temporaries anywhere in the site: files in a `.webserv-tmp` directory, or named as they once
    /// were (`.webserv-<pid>-<n>.part`).
    func temporaries() -> [String] {
        let paths = FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? []
        return paths.filter {
            let name = ($0 as NSString).lastPathComponent
            return $0.contains(".webserv-tmp/") || name.hasSuffix(".part") || (name.hasPrefix(".webserv-") && name != ".webserv-tmp")
        }
    }

    func stored(_ name: String) -> [UInt8]? {
        FileManager.default.contents(atPath: store + "/" + name).map { [UInt8]($0) }
    }
}

/// A multipart/form-data body (RFC 7578) built byte by byte, so hostile names and contents reach the
/// server exactly as written.
struct MultipartForm {
    let boundary: String
    private(set) var bytes: [UInt8] = []

    init(boundary: String = "----webservTestBoundary7MA4YWxkTrZu0gW") { self.boundary = boundary }

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    /// A file part; `disposition` replaces the whole Content-Disposition value when given.
    mutating func addFile(field: String = "file", filename: String, contentType: String = "application/octet-stream",
                          disposition: [UInt8]? = nil, _ content: [UInt8]) {
        bytes += [UInt8]("--\(boundary)\r\nContent-Disposition: ")
        bytes += disposition ?? [UInt8]("form-data; name=\"\(field)\"; filename=\"\(filename)\"")
        bytes += [UInt8]("\r\nContent-Type: \(contentType)\r\n\r\n")
        bytes += content + [13, 10]
    }

    mutating func addField(_ name: String, _ value: String) {
        bytes += [UInt8]("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
    }

    var body: [UInt8] { bytes + [UInt8]("--\(boundary)--\r\n") }

    /// The whole POST request with its Content-Length.
    func request(to path: String, extraHeaders: String = "", close: Bool = true) -> [UInt8] {
        let body = self.body
        return [UInt8]("POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: \(contentType)\r\n"
            + "Content-Length: \(body.count)\r\n\(extraHeaders)\(close ? "Connection: close\r\n" : "")\r\n") + body
    }
}

/// `PUT path` with a Content-Length body.
func putRequest(_ path: String, _ body: [UInt8], close: Bool = true, extraHeaders: String = "") -> [UInt8] {
    [UInt8]("PUT \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(body.count)\r\n\(extraHeaders)"
        + (close ? "Connection: close\r\n" : "") + "\r\n") + body
}

/// A chunked encoding of `body` in chunks of the given sizes (the rest in one last chunk).
func chunked(_ body: [UInt8], sizes: [Int], trailer: String = "") -> [UInt8] {
    var out: [UInt8] = []
    var offset = 0
    for size in sizes + [Int.max] where offset < body.count {
        let n = min(size, body.count - offset)
        out += [UInt8](String(n, radix: 16) + "\r\n") + body[offset..<(offset + n)] + [13, 10]
        offset += n
    }
    return out + [UInt8]("0\r\n\(trailer)\r\n")
}
