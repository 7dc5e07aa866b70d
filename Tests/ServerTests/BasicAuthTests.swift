import Foundation
import Testing
@testable import Server

/// Runs a tool and returns its trimmed standard output, or nil when it is missing or fails.
private func output(of arguments: [String]) -> String? {
    let text = try? Subprocess.output(arguments[0], arguments: Array(arguments.dropFirst()))
    return text?.trimmingCharacters(in: .whitespacesAndNewlines)
}

private func installed(_ tool: String) -> Bool {
    output(of: ["sh", "-c", "command -v \(tool)"]) != nil
}

private func authorization(_ userPass: String) -> String {
    "Basic " + Data(userPass.utf8).base64EncodedString()
}

private func userFile(_ text: String) throws(ConfigError) -> UserFile {
    try UserFile(bytes: Array(text.utf8), path: "users")
}

@Suite struct BasicAuthTests {
    @Test(arguments: [
        (authorization("alice:secret"), "alice", "secret"),
        ("basic   " + Data("alice:secret".utf8).base64EncodedString(), "alice", "secret"),
        ("BASIC YWxpY2U6c2VjcmV0", "alice", "secret"),
        (authorization("alice:"), "alice", ""),
        (authorization(":pass"), "", "pass"),
        (authorization("a:b:c"), "a", "b:c"),
        (authorization("jürgen:pässwörd"), "jürgen", "pässwörd"),
        ("Basic YWxpY2U6c2VjcmV0", "alice", "secret"),
        ("Basic YWxpY2U6c2VjcmU", "alice", "secre"),
    ] as [(String, String, String)])
    func basicCredentialsAreDecoded(_ field: String, _ user: String, _ password: String) {
        #expect(BasicAuth.credentials(fromAuthorization: field)
            == BasicAuth.Credentials(user: user, password: Array(password.utf8)))
    }

    @Test(arguments: [
        "Bearer YWxpY2U6c2VjcmV0",
        "Basic",
        "Basic ",
        "BasicYWxpY2U6c2VjcmV0",
        "Basic !!!!",
        "Basic YWxpY2U6c2VjcmV0 extra",
        "Basic " + Data("alice".utf8).base64EncodedString(),
        "Basic " + Data("alice:se\ncret".utf8).base64EncodedString(),
        "Basic " + Data("alice:se\u{0}cret".utf8).base64EncodedString(),
        "Basic " + Data("al\u{7F}ice:secret".utf8).base64EncodedString(),
        "Basic " + Data([0xFF, 0x3A, 0x61]).base64EncodedString(),
    ])
    func malformedAuthorizationGivesNoCredentials(_ field: String) {
        #expect(BasicAuth.credentials(fromAuthorization: field) == nil)
    }

    @Test(arguments: [
        ("YQ==", "a"), ("YQ", "a"), ("YWI=", "ab"), ("YWI", "ab"), ("YWJj", "abc"), ("YWJjZA==", "abcd"),
        ("+/+/", "\u{FB}\u{FF}\u{BF}"),
    ] as [(String, String)])
    func base64DecodesWithOrWithoutPadding(_ text: String, _ decoded: String) {
        let expected = decoded.unicodeScalars.allSatisfy { $0.value < 0x80 }
            ? Array(decoded.utf8) : decoded.unicodeScalars.map { UInt8($0.value) }
        #expect(BasicAuth.base64Decode(Array(text.utf8)[...]) == expected)
    }

    @Test(arguments: ["", "Y", "YQ=", "YR==", "Y===", "YW Jj", "YWJj=", "YQ==YQ==", "YW-j", "YW_j"])
    func invalidBase64IsRefused(_ text: String) {
        #expect(BasicAuth.base64Decode(Array(text.utf8)[...]) == nil)
    }

    @Test func challengeQuotesTheRealm() {
        #expect(BasicAuth.challenge(realm: "Staff only") == "Basic realm=\"Staff only\"")
        #expect(BasicAuth.challenge(realm: "say \"hi\" \\o/") == "Basic realm=\"say \\\"hi\\\" \\\\o/\"")
    }

    /// The reference vector of Drepper's SHA-crypt specification.
    static let drepperHash = "$6$saltstring$"
        + "svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"
    static let bobHash = "$2y$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui"

    @Test func cryptMatchesTheSHA512CryptReferenceVector() {
        #expect(cryptHash("Hello world!", setting: "$6$saltstring") == Self.drepperHash)
        #expect(cryptHash("Hello world!", setting: Self.drepperHash) == Self.drepperHash)
        #expect(cryptHash("Hello world?", setting: Self.drepperHash) != Self.drepperHash)
    }

    @Test func cryptRefusesUnsupportedSettingsAndNUL() {
        #expect(cryptHash("pw", setting: "$apr1$abcdefgh$0123456789abcdefghijkl") == nil)
        #expect(cryptHash("pw", setting: "*") == nil)
        #expect(cryptHash([0x61, 0, 0x62], setting: "$6$saltstring") == nil)
    }

    @Test func userFilesReadUsersSkippingCommentsBlankLinesAndTrailingFields() throws {
        let file = try userFile("""
            # staff
            alice:\(Self.drepperHash):Alice Liddell\r

              \t
            bob:\(Self.bobHash)
            alice:$6$other$xyz
            """)
        #expect(file.hashes == ["alice": Self.drepperHash, "bob": Self.bobHash])
        #expect(file.verify(.init(user: "alice", password: Array("Hello world!".utf8))))
        #expect(!file.verify(.init(user: "alice", password: Array("hello world!".utf8))))
        #expect(!file.verify(.init(user: "carol", password: Array("Hello world!".utf8))))
        #expect(try userFile("").hashes.isEmpty)
    }

    @Test(arguments: [
        ("alice:$6$ok$x\nbob:secret\n", 2, "plain-text"),
        ("alice:secret", 1, "plain-text"),
        ("alice:", 1, "plain-text"),
        ("# c\n\nnocolon\n", 3, "expected \"user:hash\""),
        (":$6$salt$hash", 1, "expected \"user:hash\""),
        ("bob:$apr1$abcdefgh$0123456789abcdefghijkl", 1, "($apr1$)"),
        ("bob:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", 1, "plain-text"),
        ("bob:$6$salt$has h", 1, "whitespace"),
        ("bob:$9$salt$hash", 1, "($9$)"),
    ] as [(String, Int, String)])
    func userFileErrorsNameTheLine(_ text: String, _ line: Int, _ fragment: String) {
        do {
            _ = try userFile(text)
            Issue.record("accepted \(text.debugDescription)")
        } catch {
            #expect(error.file == "users" && error.line == line)
            #expect(error.message.contains(fragment), "\(error)")
        }
    }

    @Test func userFilesAreReadFromDiskAndMissingOnesAreConfigErrors() throws {
        let path = NSTemporaryDirectory() + "webserv-users-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try "alice:\(Self.drepperHash)\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try UserFile(contentsOf: path).hashes.keys.sorted() == ["alice"])
        #expect(throws: ConfigError.self) { try UserFile(contentsOf: path + ".missing") }
        #expect(throws: ConfigError.self) { try UserFile(contentsOf: NSTemporaryDirectory()) }
    }

    @Test(.enabled(if: installed("openssl"))) func sha512CryptFromOpensslVerifies() throws {
        let hash = try #require(output(of: ["openssl", "passwd", "-6", "s3cr3t pass"]))
        #expect(hash.hasPrefix("$6$"))
        let file = try userFile("carol:\(hash)\n")
        #expect(file.verify(.init(user: "carol", password: Array("s3cr3t pass".utf8))))
        #expect(!file.verify(.init(user: "carol", password: Array("s3cr3t pas".utf8))))
    }

    @Test(.enabled(if: installed("htpasswd"))) func bcryptFromHtpasswdVerifies() throws {
        let line = try #require(output(of: ["htpasswd", "-nbB", "-C", "5", "dave", "pässwörd"]))
        #expect(line.hasPrefix("dave:$2y$"))
        let file = try userFile(line + "\n")
        #expect(file.verify(.init(user: "dave", password: Array("pässwörd".utf8))))
        #expect(!file.verify(.init(user: "dave", password: Array("passwörd".utf8))))
    }

    @Test(.enabled(if: installed("perl"))) func yescryptVerifies() throws {
        // perl's crypt() is libcrypt's, so this hash is made independently of our dlopen path.
        let hash = try #require(output(of: ["perl", "-e", "print crypt('hunter2', '$y$j9T$F5Jx5fExrKuPp53xLKQ..1$')"]))
        #expect(hash.hasPrefix("$y$j9T$"))
        let file = try userFile("erin:\(hash)\n")
        #expect(file.verify(.init(user: "erin", password: Array("hunter2".utf8))))
        #expect(!file.verify(.init(user: "erin", password: Array("hunter3".utf8))))
    }

    @Test(.enabled(if: installed("mkpasswd"))) func hashesFromMkpasswdVerify() throws {
        for method in ["yescrypt", "sha-256"] {
            let hash = try #require(output(of: ["mkpasswd", "-m", method, "open sesame"]))
            let file = try userFile("frank:\(hash)\n")
            #expect(file.verify(.init(user: "frank", password: Array("open sesame".utf8))), "\(method)")
        }
    }

    @Test(arguments: [
        ([], [], true), ([1, 2, 3], [1, 2, 3], true), ([1, 2, 3], [1, 2, 4], false), ([1, 2], [1, 2, 3], false),
        ([], [0], false), ([0], [], false),
    ] as [([UInt8], [UInt8], Bool)])
    func constantTimeEqualityIsEquality(_ a: [UInt8], _ b: [UInt8], _ equal: Bool) {
        #expect(constantTimeEqual(a, b) == equal)
    }
}
