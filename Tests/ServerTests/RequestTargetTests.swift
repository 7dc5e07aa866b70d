import Testing
@testable import Server

@Suite struct RequestTargetTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let raw: String
        let path: String
        var query = ""
        var authority: String? = nil
        var encodedSlash = false
        var testDescription: String { raw }
    }

    static let decoded: [Case] = [
        Case(raw: "/", path: "/"),
        Case(raw: "/index.html", path: "/index.html"),
        Case(raw: "/a/b/", path: "/a/b/"),
        Case(raw: "/search?q=a%20b&x=%zz", path: "/search", query: "q=a%20b&x=%zz"),
        Case(raw: "/p?", path: "/p", query: ""),
        Case(raw: "/p?a?b=/c", path: "/p", query: "a?b=/c"),
        // Dot segments, RFC 3986 §5.2.4, never above "/".
        Case(raw: "/a/./b/../c", path: "/a/c"),
        Case(raw: "/../../etc/passwd", path: "/etc/passwd"),
        Case(raw: "/a/b/..", path: "/a/"),
        Case(raw: "/a/.", path: "/a/"),
        Case(raw: "/a/b/../..", path: "/"),
        Case(raw: "/..", path: "/"),
        Case(raw: "/.", path: "/"),
        Case(raw: "/a/../../../b/", path: "/b/"),
        Case(raw: "/.../a", path: "/.../a"),
        Case(raw: "/..a/b..", path: "/..a/b.."),
        Case(raw: "/.hidden", path: "/.hidden"),
        // Decoded once: encoded dots are dots, a double-encoded dot stays "%2e".
        Case(raw: "/%2e%2e/%2E%2E/etc/passwd", path: "/etc/passwd"),
        Case(raw: "/a/%2e/b", path: "/a/b"),
        Case(raw: "/a/b/.%2E", path: "/a/"),
        Case(raw: "/%252e%252e/x", path: "/%2e%2e/x"),
        Case(raw: "/caf%C3%A9", path: "/café"),
        Case(raw: "/caf%c3%a9", path: "/café"),
        Case(raw: "/café", path: "/café"),
        Case(raw: "/a%20b", path: "/a b"),
        Case(raw: "/a%3Fb%23c", path: "/a?b#c"),
        // %2F is a character inside its segment, never a separator, and never a dot segment.
        Case(raw: "/a%2Fb", path: "/a/b", encodedSlash: true),
        Case(raw: "/..%2f..%2fetc/passwd", path: "/../../etc/passwd", encodedSlash: true),
        Case(raw: "/x/..%2F", path: "/x/../", encodedSlash: true),
        Case(raw: "/a/b%2F../c", path: "/a/b/../c", encodedSlash: true),
        Case(raw: "/a/%2F/..", path: "/a/", encodedSlash: true),
        // Backslashes are ordinary characters.
        Case(raw: "/..\\..\\etc\\passwd", path: "/..\\..\\etc\\passwd"),
        Case(raw: "/a/%5C..%5C", path: "/a/\\..\\"),
        // merge_slashes.
        Case(raw: "//a///b", path: "/a/b"),
        Case(raw: "/a//", path: "/a/"),
        Case(raw: "//../a", path: "/a"),
        // Absolute-form (RFC 9112 §3.2.2) and asterisk-form (§3.2.4).
        Case(raw: "http://example.com/x?y", path: "/x", query: "y", authority: "example.com"),
        Case(raw: "HTTP://Example.com:8080", path: "/", authority: "Example.com:8080"),
        Case(raw: "https://h?q", path: "/", query: "q", authority: "h"),
        Case(raw: "http://[::1]:80/a/../b", path: "/b", authority: "[::1]:80"),
        Case(raw: "*", path: "*"),
    ]

    @Test(arguments: decoded)
    func targetIsDecodedAndNormalised(_ c: Case) throws {
        let target = try RequestTarget.parse(c.raw)
        #expect(target == RequestTarget(path: c.path, query: c.query, authority: c.authority,
                                        hasEncodedSlash: c.encodedSlash))
    }

    static let rejected: [String] = [
        "", "index.html", "**", "*/", "?q", "ftp://host/", "http:/host/", "http://", "http:///a",
        "http://user@host/", "http://ho st/", "http://[::1/", "http://h:abc/", "http://a%zz/", "http://a\\b/", "/a#frag", "/a?b#c", "/a b", "/a\tb", "/a\u{7F}",
        "/%", "/%4", "/%zz", "/a%g0", "/%%41", "/x%", "/%00", "/a%00b", "/%0a", "/%0D%0A", "/%7f", "/%1F",
        "/%C3", "/%ff", "/%C3%28", "/%ED%A0%80",
    ]

    @Test(arguments: rejected)
    func malformedTargetIsBadRequest(_ raw: String) {
        let error = #expect(throws: HTTPError.self) { try RequestTarget.parse(raw) }
        #expect(error?.status == .badRequest)
    }

    @Test func decodedPathIsAlwaysRootedWithoutDotSegmentsOrDoubleSlashes() throws {
        let pieces = ["", "/", "//", ".", "..", "%2e", "%2E%2e", "a", "b%2fc", "\\", "%5c", "..%2f", "."]
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    let target = try RequestTarget.parse("/" + a + "/" + b + "/" + c)
                    #expect(target.path.hasPrefix("/"))
                    if !target.hasEncodedSlash {
                        #expect(!target.path.contains("//"))
                        let segments = target.path.split(separator: "/", omittingEmptySubsequences: false)
                        #expect(!segments.contains(".") && !segments.contains(".."), "\(a)/\(b)/\(c)")
                    }
                }
            }
        }
    }

    /// Paths that a fast path might take for clean, and the clean ones it must take.
    static let fastPathTable: [String] = [
        "/", "/a", "/a/", "/a/b.html", "/no-such-file", "/.hidden", "/a./b", "/.../x", "/..a", "/a..", "/a/.b/",
        "/café/ü", "/a\\b", "/a;b=c,d", "/x.", "/x/..y/", "/~user/", "",
        "//", "//a", "/a//b", "/a/", "/a//", "/.", "/..", "/./a", "/../a", "/a/.", "/a/..", "/a/./b", "/a/../b",
        "/a/b/.", "/a/b/..", "/%2e", "/%2E%2e", "/a/%2e/b", "/a%2Fb", "/a%2fb/../c", "/%41", "/a%20b",
        "/caf%C3%A9", "/%252e", "/a/.%2e", "/.%2E/", "/a%",
    ]

    /// Decodes `path` through the full decoder, as if no fast path existed.
    static func slowDecode(_ path: String) -> (String, Bool)? {
        var bytes = path
        return bytes.withUTF8 { buffer in
            try? RequestTarget.decodePath(buffer, from: 0, to: buffer.count).get()
        }
    }

    @Test(arguments: fastPathTable)
    func cleanPathFastPathGivesWhatTheDecoderGives(_ path: String) throws {
        var bytes = path
        let clean = bytes.withUTF8 { RequestTarget.isClean($0, from: 0, to: $0.count) }
        let slow = Self.slowDecode(path)
        if clean {
            // Clean means the decoder would hand back the very bytes it was given.
            #expect(slow?.0 == path && slow?.1 == false)
        }
        for suffix in ["", "?q=1", "?"] {
            let raw = path + suffix
            if path.isEmpty {
                // No path: origin-form is refused, absolute-form means "/".
                #expect((try? RequestTarget.parse("http://h" + raw))?.path == "/")
            } else if let slow {
                let target = try? RequestTarget.parse(raw)
                #expect(target?.path == slow.0 && target?.hasEncodedSlash == slow.1, "\(raw)")
                let absolute = try? RequestTarget.parse("http://h" + raw)
                #expect(absolute?.path == slow.0 && absolute?.hasEncodedSlash == slow.1, "http://h\(raw)")
            } else {
                #expect(throws: HTTPError.self) { try RequestTarget.parse(raw) }
            }
        }
    }

    @Test func onlyPathsTheDecoderLeavesAloneAreClean() {
        let clean = Self.fastPathTable.filter { path in
            var bytes = path
            return bytes.withUTF8 { RequestTarget.isClean($0, from: 0, to: $0.count) }
        }
        #expect(clean == ["/", "/a", "/a/", "/a/b.html", "/no-such-file", "/.hidden", "/a./b", "/.../x", "/..a",
                          "/a..", "/a/.b/", "/café/ü", "/a\\b", "/a;b=c,d", "/x.", "/x/..y/", "/~user/", "/a/"])
    }
}
