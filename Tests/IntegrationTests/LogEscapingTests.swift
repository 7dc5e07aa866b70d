import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// The logs keep a client's (and a script's) exact bytes, escaped as nginx's `escape=default`: nothing becomes
    /// U+FFFD, and no control byte can start a forged line.
    @Suite struct LogEscaping {
        @Test func accessLogKeepsInvalidUTF8AndControlBytesAsHexEscapes() throws {
            let site = try TestSite()
            try site.write("a.html", "hello")
            let server = try Webserv.start(Operations.logConfig, site: site)
            defer { server.stop() }
            let raw = try RawClient(port: server.port)
            var request = [UInt8]("GET /a.html HTTP/1.1\r\nHost: a\r\nUser-Agent: bad ".utf8)
            // Field values may carry obs-text (0x80-0xFF) and tabs; other controls are refused by the parser.
            request += [0xFF, 0xFE, 0xC3, 0x28, 0x09] + [UInt8]("é\"\\ end".utf8)
            request += [UInt8]("\r\nReferer: http://r.test/\u{80}\r\nConnection: close\r\n\r\n".utf8)
            try raw.send(request)
            #expect(try raw.readResponse().status == 200)

            let lines = Operations.lines(of: site.directory + "/access.log", atLeast: 1)
            try #require(lines.count == 1, "access log: \(lines)")
            #expect(lines[0].hasSuffix(#"200 5 "http://r.test/\xC2\x80" "bad \xFF\xFE\xC3(\x09\xC3\xA9\x22\x5C end""#),
                    "\(lines[0])")
            #expect(!lines[0].contains("\u{FFFD}"))
        }

        @Test func errorLogEscapesAScriptsControlBytes() throws {
            let site = try TestSite()
            try site.write("cgi-bin/noisy.py", #"""
                import sys
                sys.stderr.buffer.write(b"evil\r2026/01/01 00:00:00 forged \x1b[31m \xff\n")
                sys.stdout.write("Content-Type: text/plain\r\n\r\nok")
                """#)
            let server = try Webserv.start(Operations.logConfig, site: site)
            defer { server.stop() }
            #expect(try server.get("/cgi-bin/noisy.py").status == 200)
            var errors: [String] = []
            for _ in 0..<150 {
                errors = Operations.lines(of: site.directory + "/error.log", atLeast: 1)
                if errors.contains(where: { $0.contains("forged") }) { break }
                usleep(20_000)
            }
            let line = try #require(errors.first { $0.contains("forged") }, "error log: \(errors)")
            #expect(line.hasSuffix(#"evil\x0D2026/01/01 00:00:00 forged \x1B[31m \xFF"#), "\(line)")
        }
    }
}
