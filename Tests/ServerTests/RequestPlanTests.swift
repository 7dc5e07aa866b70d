import Foundation
import Testing
@testable import Server

/// The decisions taken when a request head arrives, without a socket: what is answered at once, what body is
/// read and for what, when 100 Continue is sent and when the connection ends.
@Suite(.serialized) struct RequestPlanTests {
    /// A docroot with a page, a script and an upload store, served by one server.
    final class Site {
        let directory: String
        let responder: Responder
        let local: Endpoint

        init() throws {
            directory = FileManager.default.temporaryDirectory.path + "/webserv-plan-\(UUID().uuidString.prefix(8))"
            for path in ["www/cgi", "store"] {
                try FileManager.default.createDirectory(atPath: directory + "/" + path, withIntermediateDirectories: true)
            }
            try Data("hello\n".utf8).write(to: URL(fileURLWithPath: directory + "/www/index.html"))
            for script in ["cgi/run.py", "private/run.py"] {
                try FileManager.default.createDirectory(atPath: directory + "/www/private", withIntermediateDirectories: true)
                try Data("print('Content-Type: text/plain\\n')\n".utf8)
                    .write(to: URL(fileURLWithPath: directory + "/www/" + script))
            }
            // alice's password is "secret" (`openssl passwd -1 -salt salt1234 secret`).
            try Data("alice:$1$salt1234$GexpiwjB8qThXlxv/yIG6.\n".utf8)
                .write(to: URL(fileURLWithPath: directory + "/users"))
            var config = try ConfigParser.parse(text: """
                server {
                    listen 127.0.0.1:8080;
                    root \(directory)/www;
                    client_max_body_size 100;
                    location / { allow_methods GET HEAD POST; }
                    location /cgi/ { allow_methods GET POST; cgi .py /usr/bin/python3; }
                    location /up/ { allow_methods GET POST PUT DELETE; upload_store \(directory)/store; }
                    location /private/ {
                        auth_basic "Members"; auth_basic_user_file \(directory)/users;
                        allow_methods GET; cgi .py /usr/bin/python3;
                    }
                }
                """, sourcePath: directory + "/webserv.conf")
            try ConfigParser.loadUserFiles(into: &config)
            responder = Responder(router: Router(config: config), secretKey: SecretKey(k0: 1, k1: 2))
            guard case .success(let endpoint) = ListenAddress.parse("127.0.0.1:8080") else {
                throw CocoaError(.formatting)
            }
            local = endpoint
        }

        deinit { try? FileManager.default.removeItem(atPath: directory) }

        func plan(_ head: String, draining: Bool = false) throws -> RequestPlan {
            var parser = RequestParser()
            let bytes = Array(head.utf8)
            let parsed = try parser.parse(bytes, from: 0)
            let request = try #require(parsed)
            return RequestPlan(for: request, arrivingOn: local, from: "127.0.0.1", responder: responder,
                               draining: draining)
        }
    }

    /// What a plan comes to, in a form a table can state.
    enum Outcome: Equatable {
        case respond(status: Int, keepAlive: Bool, linger: Bool)
        case discardBody(status: Int, keepAlive: Bool)
        case runCGI(bodyLength: Int?, readsBody: Bool, keepAlive: Bool)
        case upload(put: Bool, readsBody: Bool)
        case fail(status: Int)
    }

    /// A file response's descriptor is closed here: a test process must not leak it (a server it starts
    /// would inherit it).
    static func outcome(_ plan: RequestPlan) -> Outcome {
        switch plan.action {
        case .respond(let response, let terms, let linger):
            response.releaseFile()
            return .respond(status: response.status.code, keepAlive: terms.keepAlive, linger: linger)
        case .discardBody(_, let response, let terms):
            response.releaseFile()
            return .discardBody(status: response.status.code, keepAlive: terms.keepAlive)
        case .runCGI(let job, let body):
            return .runCGI(bodyLength: job.bodyLength, readsBody: body != nil, keepAlive: job.terms.keepAlive)
        case .upload(let job, let body):
            return .upload(put: job.isPut, readsBody: !body.isComplete)
        case .fail(let error):
            return .fail(status: error.status.code)
        }
    }

    static let cases: [(name: String, head: String, outcome: Outcome, continues: Bool)] = [
        ("a plain GET is answered at once and kept alive",
         "GET / HTTP/1.1\r\nHost: a\r\n\r\n", .respond(status: 200, keepAlive: true, linger: false), false),
        ("HTTP/1.0 closes unless it asks for keep-alive",
         "GET / HTTP/1.0\r\n\r\n", .respond(status: 200, keepAlive: false, linger: false), false),
        ("Connection: close is honoured",
         "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", .respond(status: 200, keepAlive: false, linger: false), false),
        ("a missing file is 404, still kept alive",
         "GET /nothing HTTP/1.1\r\nHost: a\r\n\r\n", .respond(status: 404, keepAlive: true, linger: false), false),
        ("a POST to a static file reads and drops its body before answering",
         "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n", .discardBody(status: 200, keepAlive: true), false),
        ("a chunked body to a static file is read and dropped too",
         "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", .discardBody(status: 200, keepAlive: true), false),
        ("a body sent with Connection: close is not read: the connection ends with the answer",
         "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nConnection: close\r\n\r\n",
         .respond(status: 200, keepAlive: false, linger: false), false),
        ("a body the client holds for 100 Continue is never asked for when nothing reads it",
         "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
         .respond(status: 200, keepAlive: false, linger: true), false),
        ("a declared length over client_max_body_size is 413 before any handler, without reading it",
         "PUT /up/f HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\nExpect: 100-continue\r\n\r\n",
         .respond(status: 413, keepAlive: false, linger: true), false),
        ("a DELETE over the limit is refused before it deletes",
         "DELETE /up/f HTTP/1.1\r\nHost: a\r\nContent-Length: 500\r\n\r\n",
         .respond(status: 413, keepAlive: false, linger: true), false),
        ("a disallowed method is 405 even with a body, which is then dropped",
         "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n", .discardBody(status: 405, keepAlive: true), false),
        ("a CGI GET runs at once with no body",
         "GET /cgi/run.py HTTP/1.1\r\nHost: a\r\n\r\n", .runCGI(bodyLength: nil, readsBody: false, keepAlive: true), false),
        ("an empty CGI body is CONTENT_LENGTH 0 with nothing to spool",
         "POST /cgi/run.py HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
         .runCGI(bodyLength: 0, readsBody: false, keepAlive: true), false),
        ("a CGI body is spooled first, and 100 Continue is sent for it",
         "POST /cgi/run.py HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\nExpect: 100-continue\r\n\r\n",
         .runCGI(bodyLength: nil, readsBody: true, keepAlive: true), true),
        ("a missing script is 404",
         "GET /cgi/none.py HTTP/1.1\r\nHost: a\r\n\r\n", .respond(status: 404, keepAlive: true, linger: false), false),
        ("a PUT stores its body, with 100 Continue",
         "PUT /up/f.txt HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n",
         .upload(put: true, readsBody: true), true),
        ("an empty PUT stores an empty file without reading",
         "PUT /up/f.txt HTTP/1.1\r\nHost: a\r\n\r\n", .upload(put: true, readsBody: false), false),
        ("a partial PUT is refused (RFC 9110 §14.5)",
         "PUT /up/f.txt HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Range: bytes 0-2/9\r\n\r\n",
         .discardBody(status: 400, keepAlive: true), false),
        ("a POST of raw bytes to the store is an upload",
         "POST /up/ HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n", .upload(put: false, readsBody: true), false),
        ("a protected location without credentials is 401",
         "GET /private/ HTTP/1.1\r\nHost: a\r\n\r\n", .respond(status: 401, keepAlive: true, linger: false), false),
        ("wrong credentials are 401 too",
         "GET /private/ HTTP/1.1\r\nHost: a\r\nAuthorization: Basic YWxpY2U6d3Jvbmc=\r\n\r\n",
         .respond(status: 401, keepAlive: true, linger: false), false),
        ("an unparsable target fails with 400",
         "GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n", .fail(status: 400), false),
        ("conflicting framing fails with 400",
         "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", .fail(status: 400), false),
        ("an unknown transfer coding fails with 501",
         "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", .fail(status: 501), false),
    ]

    @Test(arguments: cases)
    func requestIsPlanned(_ c: (name: String, head: String, outcome: Outcome, continues: Bool)) throws {
        let site = try Site()
        let plan = try site.plan(c.head)
        #expect(Self.outcome(plan) == c.outcome, "\(c.name)")
        #expect(plan.sendsContinue == c.continues, "\(c.name)")
    }

    /// While the server shuts down, an answer ends its connection, whatever the client asked.
    @Test func drainingEndsTheConnectionAfterTheAnswer() throws {
        let site = try Site()
        #expect(Self.outcome(try site.plan("GET / HTTP/1.1\r\nHost: a\r\n\r\n", draining: true))
                == .respond(status: 200, keepAlive: false, linger: false))
    }

    /// The routed request goes with the plan (its server's timeouts apply from then on), except when the
    /// target could not be decoded.
    @Test func planCarriesTheRoutedRequest() throws {
        let site = try Site()
        let routed = try site.plan("GET /up/x HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(routed.request?.target.path == "/up/x")
        #expect(try site.plan("GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n").request == nil)
    }

    /// The user Basic authentication let through is resolved once, in the plan, for REMOTE_USER.
    @Test func cgiJobKnowsNoUserWithoutAuthentication() throws {
        let site = try Site()
        guard case .runCGI(let job, _) = try site.plan("GET /cgi/run.py HTTP/1.1\r\nHost: a\r\n\r\n").action else {
            Issue.record("not a CGI plan")
            return
        }
        #expect(job.remoteUser == nil)
        #expect(job.script.scriptName == "/cgi/run.py")
    }

    /// The user Basic authentication let through is resolved once, with the check, and is the one the script
    /// sees as REMOTE_USER.
    @Test func cgiJobCarriesTheAuthenticatedUser() throws {
        let site = try Site()
        let plan = try site.plan("GET /private/run.py HTTP/1.1\r\nHost: a\r\nAuthorization: Basic YWxpY2U6c2VjcmV0\r\n\r\n")
        guard case .runCGI(let job, _) = plan.action else {
            Issue.record("not a CGI plan: \(Self.outcome(plan))")
            return
        }
        #expect(job.remoteUser == "alice")
    }
}
