import Foundation
import Testing
@testable import Server

/// The responder's decisions on a real directory tree, without sockets: which status, which upload, in the
/// order of checks (hidden temporaries, `return`, method, preconditions, then the writer or the resource).
@Suite struct ResponderTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let request: String
        let headers: [String: String]
        let expected: String
        init(_ request: String, _ headers: [String: String], _ expected: String) {
            self.request = request
            self.headers = headers
            self.expected = expected
        }
        init(_ request: String, _ expected: String) { self.init(request, [:], expected) }
        var testDescription: String { "\(request) \(headers) → \(expected)" }
    }

    /// No case opens a file: the responder opens files without O_CLOEXEC, and a descriptor opened in this
    /// process would leak into the servers that integration tests start meanwhile (and show up in their fds).
    static let cases: [Case] = [
        Case("HEAD /file.txt", "200"),
        Case("GET /file.txt", ["if-none-match": "*"], "304"),
        Case("GET /file.txt", ["range": "bytes=50-"], "416"),
        Case("GET /missing", "404"),
        Case("GET /dir", "301 /dir/"),
        Case("GET /dir/", "404"),
        Case("GET /moved", "301 /new"),
        Case("PATCH /file.txt", "405"),
        Case("OPTIONS *", "204"),
        Case("GET *", "400"),
        // Bodies in flight: not found, whatever the method, before the method or the file is looked at.
        Case("GET /.webserv-tmp/", "404"),
        Case("PUT /.webserv-tmp/x", "404"),
        Case("PATCH /dir/.webserv-tmp", "404"),
        Case("POST /store/.webserv-tmp/x", "404"),
        Case("PUT /dir/new.txt", "upload put(name: \"new.txt\") in www/dir as /dir/"),
        Case("PUT /nodir/new.txt", "409"),
        Case("PUT /dir/", "409"),
        Case("PUT /file.txt", ["content-range": "bytes 0-1/2"], "400"),
        Case("PUT /file.txt", ["if-none-match": "*"], "412"),
        Case("PUT /new.txt", ["if-match": "*"], "412"),
        Case("DELETE /missing", "404"),
        Case("DELETE /dir", "409"),
        Case("DELETE /missing", ["if-match": "*"], "412"),
        Case("POST /store/", ["content-type": "text/plain"], "upload raw in up/ as /store/"),
        Case("POST /store", ["content-type": "text/plain"], "upload raw in up as /store/"),
        Case("POST /store/named.txt", ["content-type": "text/plain"],
             "upload raw(name: \"named.txt\") in up as /store/"),
        Case("POST /store/", ["content-type": "multipart/form-data; boundary=xyz"],
             "upload multipart(boundary: \"xyz\") in up/ as /store/"),
        Case("POST /store/", ["content-type": "multipart/form-data"], "400"),
        Case("POST /store/nodir/x", "404"),
        // A POST that reaches no store or CGI is answered as a GET: its conditionals are checked as a POST's.
        Case("POST /file.txt", ["if-none-match": "*"], "412"),
    ]

    @Test(arguments: cases)
    func decides(_ test: Case) throws {
        let root = NSTemporaryDirectory() + "webserv-responder-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        for directory in ["www/dir", "www/.webserv-tmp", "up"] {
            try FileManager.default.createDirectory(atPath: root + "/" + directory, withIntermediateDirectories: true)
        }
        // O_CLOEXEC, unlike Data.write: see `cases`.
        let file = open(root + "/www/file.txt", O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        try #require(file >= 0)
        #expect(write(file, "hello\n", 6) == 6)
        close(file)
        let config = try ConfigParser.parse(text: """
            server {
                root \(root)/www;
                allow_methods GET HEAD POST PUT DELETE OPTIONS;
                location /store { upload_store \(root)/up; allow_methods GET POST; }
                location /moved { return 301 /new; }
            }
            """, sourcePath: root + "/t.conf")
        let responder = Responder(router: Router(config: config), secretKey: SecretKey(k0: 1, k1: 2))
        let parts = test.request.split(separator: " ").map(String.init)
        var headers = Headers()
        for (name, value) in test.headers { headers.append(name: name, value: value) }
        let head = RequestHead(method: Method.allCases.first { $0.name == parts[0] }, methodToken: parts[0],
                               target: parts[1], version: .http11, headers: headers, headLength: 0)
        let request = try responder.route(head, arrivingOn: Endpoint(host: "0.0.0.0", port: 80))
        #expect(Self.summary(responder.handle(request, from: "127.0.0.1"), root: root) == test.expected)
    }

    static func summary(_ handling: Responder.Handling, root: String) -> String {
        switch handling {
        case .response(let response):
            let location = response.headers.first { $0.name == "Location" }.map { " " + $0.value } ?? ""
            return "\(response.status.code)" + location
        case .cgi(let script, _):
            return "cgi \(script.filePath)"
        case .upload(let directory, _, let kind, let uriBase, _):
            var kind = "\(kind)"
            if kind.hasPrefix("raw(name: \"upload-") { kind = "raw" }
            return "upload \(kind) in \(directory.dropFirst(root.count + 1)) as \(uriBase)"
        }
    }
}
