import Foundation
import Testing
@testable import Server

/// A directory of configuration files on disk, removed at the end.
private final class ConfigDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.path + "/webserv-include-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let full = path + "/" + name
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
        return full
    }

    func parse(_ main: String = "main.conf") throws(ConfigError) -> Config {
        try ConfigParser.parse(contentsOf: path + "/" + main)
    }

    func refusal(_ main: String = "main.conf") -> String? {
        do {
            _ = try parse(main)
            return nil
        } catch {
            return error.description
        }
    }
}

@Suite struct ConfigIncludeTests {
    @Test func includedDirectivesBelongToTheBlockOfTheInclude() throws {
        let dir = try ConfigDirectory()
        try dir.write("main.conf", "server {\n    include site/common.conf;\n    location /a/ { include site/loc.conf; }\n}\n")
        try dir.write("site/common.conf", "listen 127.0.0.1:8081;\nroot www;\n")
        try dir.write("site/loc.conf", "autoindex on;\n")
        let server = try dir.parse().servers[0]
        #expect(server.listens == [Endpoint(host: "127.0.0.1", port: 8081)])
        // Relative paths inside an included file resolve from the main configuration's directory.
        let slash = try #require(server.locations.first { $0.path == "/" })
        #expect(slash.source == .root(dir.path + "/www"))
        #expect(try #require(server.locations.first { $0.path == "/a/" }).autoindex)
    }

    @Test func globIncludesMatchingFilesInSortedOrder() throws {
        let dir = try ConfigDirectory()
        try dir.write("main.conf", "include servers/*.conf;\n")
        // Written out of order; readdir's order is the directory's, the include's is sorted.
        try dir.write("servers/b.conf", "server { listen 127.0.0.1:8082; }\n")
        try dir.write("servers/a.conf", "server { listen 127.0.0.1:8081; }\n")
        try dir.write("servers/c.conf", "server { listen 127.0.0.1:8083; }\n")
        try dir.write("servers/skipped.txt", "this is not a configuration\n")
        try dir.write("servers/.hidden.conf", "this is not a configuration either\n")
        let ports = try dir.parse().servers.map { $0.listens[0].port }
        #expect(ports == [8081, 8082, 8083])
    }

    @Test func globMatchingNothingIncludesNothing() throws {
        let dir = try ConfigDirectory()
        try dir.write("main.conf", "include conf.d/*.conf;\nserver { listen 127.0.0.1:8081; }\n")
        #expect(try dir.parse().servers.count == 1)
    }

    @Test func errorInAnIncludedFileNamesThatFileAndLine() throws {
        let dir = try ConfigDirectory()
        try dir.write("main.conf", "server {\n    include bad.conf;\n}\n")
        try dir.write("bad.conf", "root www;\n\n    rooot /x;\n")
        #expect(dir.refusal() == "\(dir.path)/bad.conf:3: unknown directive \"rooot\"")
    }

    @Test func errorAfterAnIncludeNamesTheMainFileAgain() throws {
        let dir = try ConfigDirectory()
        try dir.write("main.conf", "server {\n    include ok.conf;\n    rooot /x;\n}\n")
        try dir.write("ok.conf", "root www;\n")
        #expect(dir.refusal() == "\(dir.path)/main.conf:3: unknown directive \"rooot\"")
    }

    @Test func includeCycleIsRefused() throws {
        let dir = try ConfigDirectory()
        try dir.write("main.conf", "include a.conf;\nserver { }\n")
        try dir.write("a.conf", "include b.conf;\n")
        try dir.write("b.conf", "\ninclude a.conf;\n")
        #expect(dir.refusal() == "\(dir.path)/b.conf:2: include cycle: \"\(dir.path)/a.conf\" is already being read")
    }

    @Test func includingTheMainFileIsACycle() throws {
        let dir = try ConfigDirectory()
        try dir.write("main.conf", "server { }\ninclude main.conf;\n")
        #expect(dir.refusal() == "\(dir.path)/main.conf:2: include cycle: \"\(dir.path)/main.conf\" is already being read")
    }

    @Test func sameFileIncludedTwiceSideBySideIsNoCycle() throws {
        let dir = try ConfigDirectory()
        try dir.write("main.conf", "server { listen 127.0.0.1:8081; include idx.conf; }\nserver { listen 127.0.0.1:8082; include idx.conf; }\n")
        try dir.write("idx.conf", "index start.html;\n")
        #expect(try dir.parse().servers.map { $0.locations[0].index } == [["start.html"], ["start.html"]])
    }

    @Test func missingIncludedFileIsRefusedAtTheInclude() throws {
        let dir = try ConfigDirectory()
        try dir.write("main.conf", "server {\n    include nowhere.conf;\n}\n")
        #expect(dir.refusal() == "\(dir.path)/main.conf:2: cannot read included file \"\(dir.path)/nowhere.conf\": "
                + "No such file or directory")
    }

    @Test func includedFileMustCloseWhatItOpensAndNotCloseMore() throws {
        let dir = try ConfigDirectory()
        try dir.write("main.conf", "server {\n    include open.conf;\n}\n")
        try dir.write("open.conf", "location / {\n")
        #expect(dir.refusal() == "\(dir.path)/open.conf:2: unexpected end of file, expecting \"}\"")
        try dir.write("main.conf", "server {\n    include close.conf;\n")
        try dir.write("close.conf", "root www; }\n")
        #expect(dir.refusal() == "\(dir.path)/close.conf:1: unexpected \"}\"")
        try dir.write("main.conf", "server {\n    include half.conf;\n}\n")
        try dir.write("half.conf", "root\n")
        #expect(dir.refusal() == "\(dir.path)/half.conf:2: unexpected end of file, expecting \";\" or \"}\"")
    }

    @Test func wildcardInADirectoryIsRefused() throws {
        let dir = try ConfigDirectory()
        try dir.write("main.conf", "include */x.conf;\nserver { }\n")
        #expect(dir.refusal()?.hasPrefix("\(dir.path)/main.conf:1: wildcards are only allowed in the file name") == true)
    }

    static let patterns: [(name: String, pattern: String, matches: Bool)] = [
        ("a.conf", "*.conf", true), ("a.conf", "*.con", false), ("a.conf", "a.*", true), (".conf", "*.conf", true),
        ("abc", "a?c", true), ("ac", "a?c", false), ("b1", "[ab][0-9]", true), ("c1", "[ab][0-9]", false),
        ("c1", "[!ab]1", true), ("a1", "[^ab]1", false), ("]", "[]]", true), ("x[", "x[", true),
        ("anything", "*", true), ("", "*", true), ("a.b.c", "*.*.c", true), ("abc", "*b", false),
    ]

    @Test(arguments: patterns)
    func patternMatchingIsFnmatchs(name: String, pattern: String, matches: Bool) {
        #expect(IncludePattern.matches(Array(name.utf8)[...], Array(pattern.utf8)[...]) == matches)
    }
}

@Suite struct ConfigTypesTests {
    @Test func withoutTypesTheBuiltInTableApplies() throws {
        let location = try parse("server { }").servers[0].locations[0]
        #expect(location.mimeTypes === MIMETable.builtIn)
        #expect(location.defaultType == "application/octet-stream")
    }

    @Test func typesBlockReplacesTheInheritedTable() throws {
        let config = try parse("""
            types { text/html html htm; image/png png; }
            server {
                location /plain/ { types { text/plain html; } }
                location /other/ { }
            }
            """)
        let other = try #require(config.servers[0].locations.first { $0.path == "/other/" })
        #expect(other.mimeTypes.contentType(forPath: "a.HTM") == "text/html; charset=utf-8")
        #expect(other.mimeTypes.contentType(forPath: "a.png") == "image/png")
        // Replaced, not merged: css is in the built-in table, not in this one.
        #expect(other.mimeTypes.knownType(forPath: "a.css") == nil)
        let plain = try #require(config.servers[0].locations.first { $0.path == "/plain/" })
        #expect(plain.mimeTypes.contentType(forPath: "a.html") == "text/plain; charset=utf-8")
        #expect(plain.mimeTypes.knownType(forPath: "a.png") == nil)
    }

    @Test func emptyTypesWithDefaultTypeServesEverythingAsOneType() throws {
        let location = try parse("server { location /dl/ { types { } default_type application/octet-stream; } }")
            .servers[0].locations[0]
        #expect(location.mimeTypes.knownType(forPath: "a.html") == nil)
        #expect(StaticFiles.contentType(of: "/x/a.html", in: location.mimeTypes, defaultType: location.defaultType)
                == "application/octet-stream")
    }

    @Test func defaultTypeIsInheritedAndTextTypesGetTheCharset() throws {
        let config = try parse("""
            server {
                default_type text/plain;
                location /a/ { }
                location /b/ { default_type image/png; }
            }
            default_type application/json;
            server { listen 8081; }
            """)
        #expect(config.servers[0].locations.first { $0.path == "/a/" }?.defaultType == "text/plain; charset=utf-8")
        #expect(config.servers[0].locations.first { $0.path == "/b/" }?.defaultType == "image/png")
        // A top-level value reaches the servers written above it too (nginx merges after the whole file).
        #expect(config.servers[1].locations[0].defaultType == "application/json; charset=utf-8")
    }

    @Test func twoTypesBlocksInOneLevelAddUp() throws {
        let location = try parse("server { types { text/css css; } types { image/gif gif; } }").servers[0].locations[0]
        #expect(location.mimeTypes.contentType(forPath: "a.css") == "text/css; charset=utf-8")
        #expect(location.mimeTypes.contentType(forPath: "a.gif") == "image/gif")
    }

    @Test func typesBlockErrorsNameTheirLine() {
        #expect(refusal("types {\n text/html html;\n {\n}\nserver { }") == "/etc/webserv/test.conf:3: unexpected \"{\"")
        #expect(refusal("server {\n types {\n text/html html;\n") == "/etc/webserv/test.conf:4: unexpected end of file, expecting \"}\"")
        #expect(refusal("server { types x { } }") == "/etc/webserv/test.conf:1: invalid number of arguments in \"types\" directive")
        #expect(refusal("server { default_type; }") == "/etc/webserv/test.conf:1: invalid number of arguments in \"default_type\" directive")
    }

    @Test func shippedMimeTypesFileHoldsTheBuiltInTable() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let config = try ConfigParser.parse(text: "include \(root)/conf/mime.types;\nserver { }", sourcePath: "/x.conf")
        let table = config.servers[0].locations[0].mimeTypes
        #expect(table.byExtension == MIMETable.builtIn.byExtension)
    }
}
