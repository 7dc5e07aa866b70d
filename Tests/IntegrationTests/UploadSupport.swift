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

/// Polls `condition` every 20 ms for up to `timeout` seconds.
func eventually(timeout: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
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

/// The SHA-256 of small byte arrays (FIPS 180-4), and of files through `sha256sum`.
enum SHA256 {
    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    static func hex(_ data: [UInt8]) -> String {
        var h: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
        var message = data
        message.append(0x80)
        while message.count % 64 != 56 { message.append(0) }
        let bits = UInt64(data.count) * 8
        for shift in stride(from: 56, through: 0, by: -8) { message.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
        var w = [UInt32](repeating: 0, count: 64)
        for block in stride(from: 0, to: message.count, by: 64) {
            for i in 0..<16 {
                let j = block + i * 4
                w[i] = UInt32(message[j]) << 24 | UInt32(message[j + 1]) << 16 | UInt32(message[j + 2]) << 8 | UInt32(message[j + 3])
            }
            for i in 16..<64 {
                let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
                let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
                w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
            }
            var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
            for i in 0..<64 {
                let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                let ch = (e & f) ^ (~e & g)
                let t1 = hh &+ s1 &+ ch &+ k[i] &+ w[i]
                let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                let maj = (a & b) ^ (a & c) ^ (b & c)
                let t2 = s0 &+ maj
                (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
            }
            for (i, v) in [a, b, c, d, e, f, g, hh].enumerated() { h[i] = h[i] &+ v }
        }
        return h.map { String(format: "%08x", $0) }.joined()
    }

    private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }

    /// `sha256sum FILE`, for files too big to hash in a debug build.
    static func hex(ofFile path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sha256sum", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let line = String(data: output, encoding: .utf8),
              let digest = line.split(separator: " ").first, digest.count == 64 else {
            throw HarnessError("sha256sum \(path) failed")
        }
        return String(digest)
    }
}
