import Testing
@testable import Server

/// A location with `cgi .php /usr/bin/php-cgi; cgi .py /usr/bin/python3; cgi .cgi.php /opt/other;`.
private func cgiLocation(_ match: Location.Match = .prefix("/"),
                         _ source: Location.Source = .root("/srv/www")) -> Location {
    var location = Location(match: match, source: source)
    location.cgi = [".php": "/usr/bin/php-cgi", ".py": "/usr/bin/python3", ".cgi.php": "/opt/other"]
    return location
}

/// One row: a decoded path under a location, and the script it names ("-" for none).
struct ScriptCase: Sendable, CustomTestStringConvertible {
    let path: String
    let location: Location
    /// "scriptName | extraPath | interpreter | filePath | directory", or "-".
    let expected: String

    init(_ path: String, _ expected: String, _ location: Location = cgiLocation()) {
        self.path = path
        self.expected = expected
        self.location = location
    }

    var testDescription: String { "\(path) → \(expected)" }
}

private func summary(_ script: CGIScript?) -> String {
    guard let script else { return "-" }
    return [script.scriptName, script.extraPath, script.interpreter, script.filePath, script.directory]
        .joined(separator: " | ")
}

@Suite struct CGIScriptTests {
    static let cases: [ScriptCase] = [
        ScriptCase("/index.php", "/index.php |  | /usr/bin/php-cgi | /srv/www/index.php | /srv/www"),
        ScriptCase("/cgi-bin/app.py/users/7",
                   "/cgi-bin/app.py | /users/7 | /usr/bin/python3 | /srv/www/cgi-bin/app.py | /srv/www/cgi-bin"),
        ScriptCase("/cgi-bin/app.py/", "/cgi-bin/app.py | / | /usr/bin/python3 | /srv/www/cgi-bin/app.py | /srv/www/cgi-bin"),
        // The first matching segment from the left wins, even when a later one matches too.
        ScriptCase("/a.php/b.py", "/a.php | /b.py | /usr/bin/php-cgi | /srv/www/a.php | /srv/www"),
        ScriptCase("/dir/a.py/b.php/c", "/dir/a.py | /b.php/c | /usr/bin/python3 | /srv/www/dir/a.py | /srv/www/dir"),
        // The longest extension a segment ends in picks the interpreter.
        ScriptCase("/x.cgi.php", "/x.cgi.php |  | /opt/other | /srv/www/x.cgi.php | /srv/www"),
        // Matching happens at a segment's end only, case-sensitively, with a name before the extension.
        ScriptCase("/a.php.txt", "-"),
        ScriptCase("/a.phpx/b", "-"),
        ScriptCase("/php/py", "-"),
        ScriptCase("/.php", "-"),
        ScriptCase("/.php/a.py", "/.php/a.py |  | /usr/bin/python3 | /srv/www/.php/a.py | /srv/www/.php"),
        ScriptCase("/A.PHP", "-"),
        ScriptCase("/", "-"),
        ScriptCase("/dir/", "-"),
        ScriptCase("/dir.php/", "/dir.php | / | /usr/bin/php-cgi | /srv/www/dir.php | /srv/www"),
        // Decoded paths keep their spaces and non-ASCII names.
        ScriptCase("/my app/été.php/x y", "/my app/été.php | /x y | /usr/bin/php-cgi | /srv/www/my app/été.php | /srv/www/my app"),
        // alias replaces the prefix; a root of "/" puts the script at the top of the file system.
        ScriptCase("/cgi/run.py/x", "/cgi/run.py | /x | /usr/bin/python3 | /opt/scripts/run.py | /opt/scripts",
                   cgiLocation(.prefix("/cgi/"), .alias("/opt/scripts/"))),
        ScriptCase("/run.py", "/run.py |  | /usr/bin/python3 | /run.py | /", cgiLocation(.prefix("/"), .root("/"))),
        ScriptCase("/only.php", "/only.php |  | /usr/bin/php-cgi | /srv/one.php | /srv",
                   cgiLocation(.exact("/only.php"), .alias("/srv/one.php"))),
        // A script segment that maps outside the location names no script (the static path answers 404).
        ScriptCase("/app.php/api/x", "-", cgiLocation(.prefix("/app.php/api"), .alias("/srv/api"))),
        ScriptCase("relative.php", "-"),
    ]

    @Test(arguments: cases)
    func scriptIsFoundAtTheFirstMatchingSegment(_ row: ScriptCase) {
        #expect(summary(CGIScript.find(in: row.path, location: row.location)) == row.expected)
    }

    @Test func locationWithoutCGINamesNoScript() {
        let plain = Location(match: .prefix("/"), source: .root("/srv/www"))
        #expect(CGIScript.find(in: "/index.php", location: plain) == nil)
    }

    @Test func targetWithEncodedSlashRunsNoScript() throws {
        let encoded = try RequestTarget.parse("/a%2Fb.php")
        #expect(encoded.hasEncodedSlash)
        #expect(CGIScript.find(for: encoded, location: cgiLocation()) == nil)
        let plain = try RequestTarget.parse("/a/b.php?x=1")
        #expect(CGIScript.find(for: plain, location: cgiLocation())?.filePath == "/srv/www/a/b.php")
    }
}
