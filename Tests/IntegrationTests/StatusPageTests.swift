import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `stub_status` in nginx's exact text, and `cgi_status` as JSON.
extension Integration {
    @Suite struct StatusPages {
        static let config = """
            cgi_max_processes 1;
            server {
                listen 127.0.0.1:@PORT@;
                root @ROOT@;
                location = /status { stub_status; }
                location = /cgi-status { cgi_status; }
                location /cgi-bin/ { cgi .py /usr/bin/python3; }
            }
            """

        static func page(active: Int, accepts: Int, handled: Int, requests: Int, reading: Int, writing: Int,
                         waiting: Int) -> String {
            "Active connections: \(active) \nserver accepts handled requests\n \(accepts) \(handled) \(requests) \n"
                + "Reading: \(reading) Writing: \(writing) Waiting: \(waiting) \n"
        }

        @Test func firstRequestSeesItselfAsTheOneWritingConnection() throws {
            let site = try TestSite()
            let server = try Webserv.start(StatusPages.config, site: site)
            defer { server.stop() }
            let answer = try server.get("/status")
            #expect(answer.status == 200)
            #expect(answer.header("Content-Type") == "text/plain")
            #expect(answer.header("Cache-Control") == "no-cache")
            // What nginx 1.22 answers to the same first request, byte for byte (97 bytes).
            #expect(answer.text == "Active connections: 1 \nserver accepts handled requests\n 1 1 1 \n"
                    + "Reading: 0 Writing: 1 Waiting: 0 \n")
            let head = try server.get("/status", method: "HEAD")
            #expect(head.status == 200 && head.body.isEmpty && head.header("Content-Length") == "97")
            let post = try server.get("/status", method: "POST")
            #expect(post.status == 405)
        }

        /// An idle connection, one sending a head, two scripts (one running, one waiting for the only slot),
        /// a malformed request and a finished one: each is counted where nginx counts it.
        @Test func countsFollowAKnownSequenceOfConnectionsAndRequests() throws {
            let site = try TestSite()
            try site.write("a.html", "hello")
            try site.write("cgi-bin/slow.py", """
                import time, sys
                time.sleep(2)
                sys.stdout.write("Content-Type: text/plain\\r\\n\\r\\ndone")
                """)
            let server = try Webserv.start(StatusPages.config, site: site)
            defer { server.stop() }

            #expect(try server.get("/a.html").status == 200)                  // accepts 1, requests 1
            let idle = try server.connect()                                     // accepts 2: waiting
            let reading = try server.connect()                                  // accepts 3: reading
            try reading.send("GET /a.html HTTP/1.1\r\nHost: x\r\nUser-Ag")
            let running = try server.connect()                                  // accepts 4, requests 2
            try running.send("GET /cgi-bin/slow.py HTTP/1.1\r\nHost: x\r\n\r\n")
            let queued = try server.connect()                                   // accepts 5, requests 3
            try queued.send("GET /cgi-bin/slow.py HTTP/1.1\r\nHost: x\r\n\r\n")
            let bad = try server.exchange("BOGUS\r\n\r\n")                      // accepts 6, requests 4
            #expect(bad.status == 400)

            let status = try server.connect()                                   // accepts 7
            var polls = 0
            var last = ""
            let expected = { (requests: Int) in
                StatusPages.page(active: 5, accepts: 7, handled: 7, requests: requests, reading: 1, writing: 3,
                                 waiting: 1)
            }
            let settled = eventually(timeout: 2) {
                polls += 1
                guard (try? status.send("GET /status HTTP/1.1\r\nHost: x\r\n\r\n")) != nil,
                      let answer = try? status.readResponse() else { return false }
                last = answer.text
                return last == expected(4 + polls)
            }
            #expect(settled, "last page:\n\(last)\nexpected:\n\(expected(4 + polls))")
            try status.send("GET /cgi-status HTTP/1.1\r\nHost: x\r\n\r\n")
            let cgi = try status.readResponse()
            #expect(cgi.header("Content-Type") == "application/json")
            #expect(cgi.text == "{\"running\":1,\"queued\":1,\"limit\":1}\n")
            for client in [idle, reading, running, queued, status] { client.close() }
        }
    }
}
