import Foundation
import Testing
@testable import Server

/// The config file the tests pretend to read: relative paths resolve against /etc/webserv.
private let configPath = "/etc/webserv/test.conf"

func parse(_ text: String, searchPath: [String] = []) throws(ConfigError) -> Config {
    try ConfigParser.parse(bytes: Array(text.utf8), sourcePath: configPath, searchPath: searchPath)
}

/// The `file:line: message` the text is refused with, or nil when it parses.
func refusal(_ text: String) -> String? {
    do {
        _ = try parse(text)
        return nil
    } catch {
        return error.description
    }
}

/// The only server's `/` location (explicit or implicit) of `server { body }`.
private func rootLocation(_ body: String) throws -> Location {
    let server = try #require(try parse("server {\n\(body)\n}").servers.first)
    return try #require(server.locations.first { $0.match == .prefix("/") })
}

private func location(_ path: String, in config: Config, server: Int = 0) throws -> Location {
    try #require(config.servers[server].locations.first { $0.path == path })
}

@Suite struct ConfigParserErrorTests {
    /// Every message the parser can give, with the line it must name.
    static let refusals: [(text: String, line: Int, message: String)] = [
        ("server {\n    rooot /x;\n}", 2, #"unknown directive "rooot""#),
        ("listen 80;\nserver { }", 1, #""listen" directive is not allowed here"#),
        ("server {\n location / {\n  listen 80;\n }\n}", 3, #""listen" directive is not allowed here"#),
        ("server { location / { keepalive_timeout 5s; } }", 1,
         #""keepalive_timeout" directive is not allowed here"#),
        ("server { location / { server_name a; } }", 1, #""server_name" directive is not allowed here"#),
        ("server { alias /x; }", 1, #""alias" directive is not allowed here"#),
        ("server { server { } }", 1, #""server" directive is not allowed here"#),
        ("root /x;\nserver { }", 1, #""root" directive is not allowed here"#),
        ("server {\n location / {\n  location /a { }\n }\n}", 3, #""location" directive is not allowed here"#),
        ("server {\n root;\n}", 2, #"invalid number of arguments in "root" directive"#),
        ("server { root a b; }", 1, #"invalid number of arguments in "root" directive"#),
        ("server { location { } }", 1, #"invalid number of arguments in "location" directive"#),
        ("server { error_page 404; }", 1, #"invalid number of arguments in "error_page" directive"#),
        ("server { cgi .php; }", 1, #"invalid number of arguments in "cgi" directive"#),
        ("server { return 301 /a /b; }", 1, #"invalid number of arguments in "return" directive"#),
        ("server x { }", 1, #"invalid number of arguments in "server" directive"#),
        ("server { }\n}", 2, #"unexpected "}""#),
        ("server {\n root www\n}", 3, #"unexpected "}""#),
        ("server {\n {\n}", 2, #"unexpected "{""#),
        ("server {\n ;\n}", 2, #"unexpected ";""#),
        ("server {\n root www {\n}\n}", 2, #"directive "root" is not terminated by ";""#),
        ("server;", 1, #"directive "server" has no opening "{""#),
        ("server { location /a; }", 1, #"directive "location" has no opening "{""#),
        ("server {\n root www", 2, #"unexpected end of file, expecting ";" or "}""#),
        ("server {\n root www;\n", 3, #"unexpected end of file, expecting "}""#),
        ("server {\n location / {\n", 3, #"unexpected end of file, expecting "}""#),
        ("server {\n autoindex maybe;\n}", 2,
         #"invalid value "maybe" in "autoindex" directive, it must be "on" or "off""#),
        ("server {\n default_language en_GB;\n}", 2, #"invalid language tag "en_GB""#),
        ("server { default_language 1a; }", 1, #"invalid language tag "1a""#),
        ("server { charset \"utf 8\"; }", 1, #"invalid charset "utf 8""#),
        ("server { autoindex_format xml; }", 1,
         #"invalid value "xml" in "autoindex_format" directive, it must be "json" or "html""#),
        ("server { autoindex_exact_size yes; }", 1,
         #"invalid value "yes" in "autoindex_exact_size" directive, it must be "on" or "off""#),
        ("server { cgi_path_info both; }", 1,
         #"invalid value "both" in "cgi_path_info" directive, it must be "full" or "extra""#),
        ("server {\n listen 99999;\n}", 2, #"invalid port in "99999""#),
        ("server { listen 0; }", 1, #"invalid port in "0""#),
        ("server { listen 127.0.0.1:; }", 1, #"invalid port in "127.0.0.1:""#),
        ("server { listen 127.0.0.1:http; }", 1, #"invalid port in "127.0.0.1:http""#),
        ("server { listen [::1]:65536; }", 1, #"invalid port in "[::1]:65536""#),
        ("server {\n listen foo:80;\n}", 2, #"host not found in "foo:80""#),
        ("server { listen foo; }", 1, #"host not found in "foo""#),
        ("server { listen 1.2.3:80; }", 1, #"host not found in "1.2.3:80""#),
        ("server { listen 256.0.0.1:80; }", 1, #"host not found in "256.0.0.1:80""#),
        ("server { listen [::g]:80; }", 1, #"host not found in "[::g]:80""#),
        ("server { listen [1::2::3]:80; }", 1, #"host not found in "[1::2::3]:80""#),
        ("server { listen [::1:80; }", 1, #"host not found in "[::1:80""#),
        ("server { listen 80 default_server; }", 1, #"invalid parameter "default_server""#),
        ("server {\n client_max_body_size 12x;\n}", 2, #"invalid size "12x""#),
        ("server { client_max_body_size -1; }", 1, #"invalid size "-1""#),
        ("server {\n keepalive_timeout 5y;\n}", 2, #"invalid time "5y""#),
        ("server { cgi_timeout 1m30; }", 1, #"invalid time "1m30""#),
        ("server {\n allow_methods GET FOO;\n}", 2, #"unknown method "FOO""#),
        ("server { allow_methods get; }", 1, #"unknown method "get""#),
        ("server {\n error_page 200 /x.html;\n}", 2, #"value "200" must be between 300 and 599"#),
        ("server { error_page 404 600 /x.html; }", 1, #"value "600" must be between 300 and 599"#),
        ("server { error_page abc /x.html; }", 1, #"invalid value "abc""#),
        ("server {\n location / {\n  root /a;\n  alias /b;\n }\n}", 4,
         #""alias" directive is duplicate, "root" directive was specified earlier"#),
        ("server { location / { alias /b; root /a; } }", 1,
         #""root" directive is duplicate, "alias" directive was specified earlier"#),
        ("server {\n listen 127.0.0.1:8080;\n listen 127.0.0.1:8080;\n}", 3, "duplicate listen 127.0.0.1:8080"),
        ("server { listen 8080; listen *:8080; }", 1, "duplicate listen 0.0.0.0:8080"),
        ("server { listen localhost; listen 127.0.0.1:80; }", 1, "duplicate listen 127.0.0.1:80"),
        ("server { listen [::1]:80; listen [0:0::1]:80; }", 1, "duplicate listen [::1]:80"),
        ("server { listen 80 reuseport default_server; }", 1, #"invalid parameter "default_server""#),
        ("server { listen 80 reuseport; }\nserver { listen 80 proxy_protocol; }", 2,
         "duplicate listen options for 0.0.0.0:80"),
        ("server { listen 80; }\nserver {\n listen 127.0.0.1:80 reuseport; }", 3,
         #""reuseport" on 127.0.0.1:80 needs its own socket, but 0.0.0.0:80 receives its connections: put it on 0.0.0.0:80"#),
        ("set_real_ip_from 10.0.0.0/33;\nserver { }", 1, #"invalid address range "10.0.0.0/33" in "set_real_ip_from" directive"#),
        ("set_real_ip_from example.com;\nserver { }", 1,
         #"invalid address range "example.com" in "set_real_ip_from" directive"#),
        ("real_ip_header \"X Forwarded\";\nserver { }", 1, #"invalid header "X Forwarded" in "real_ip_header" directive"#),
        ("real_ip_header X-Forwarded-For;\nreal_ip_header proxy_protocol;\nserver { }", 2,
         #""real_ip_header" directive is duplicate"#),
        ("server { set_real_ip_from 10.0.0.0/8; }", 1, #""set_real_ip_from" directive is not allowed here"#),
        ("server {\n root \"www;\n}\n", 2, "unexpected end of file, expecting closing quote"),
        ("server { root 'www; }", 1, "unexpected end of file, expecting closing quote"),
        ("server { root \"a\"b; }", 1, #"unexpected "b""#),
        ("server {\n root a;\n root b;\n}", 3, #""root" directive is duplicate"#),
        ("server { autoindex on; autoindex off; }", 1, #""autoindex" directive is duplicate"#),
        ("server { location / { upload_store a; upload_store b; } }", 1, #""upload_store" directive is duplicate"#),
        ("server { return 404; return 403; }", 1, #""return" directive is duplicate"#),
        ("max_connections 5;\nmax_connections 6;\nserver { }", 2, #""max_connections" directive is duplicate"#),
        ("", 1, #"no "server" block"#),
        ("# nothing\nmax_connections 5;\n", 3, #"no "server" block"#),
        ("max_connections 0;\nserver { }", 1, #"invalid number "0" in "max_connections" directive"#),
        ("shutdown_timeout 1x;\nserver { }", 1, #"invalid time "1x""#),
        ("server { shutdown_timeout 1s; }", 1, #""shutdown_timeout" directive is not allowed here"#),
        ("io_buffer_memory 255k;\nserver { }", 1, #"invalid size "255k" in "io_buffer_memory" directive (at least 256k)"#),
        ("io_buffer_memory lots;\nserver { }", 1, #"invalid size "lots" in "io_buffer_memory" directive (at least 256k)"#),
        ("server { io_buffer_memory 1m; }", 1, #""io_buffer_memory" directive is not allowed here"#),
        ("server { server_name www.*.com; }", 1, #"invalid server name or wildcard "www.*.com""#),
        ("server { server_name *; }", 1, #"invalid server name or wildcard "*""#),
        ("server { server_name ~^www; }", 1, #"invalid server name or wildcard "~^www""#),
        ("server { location ~ /a { } }", 1, #"invalid location modifier "~""#),
        ("server { location images { } }", 1, #"invalid location "images", it must start with "/""#),
        ("server {\n location /a { }\n location /a { }\n}", 3, #"duplicate location "/a""#),
        ("server { location = /a { } location =/a { } }", 1, #"duplicate location "/a""#),
        ("server { cgi php /usr/bin/php-cgi; }", 1,
         #"invalid extension "php" in "cgi" directive, it must start with ".""#),
        ("server { cgi . /usr/bin/php-cgi; }", 1, #"invalid extension "." in "cgi" directive, it must start with ".""#),
        ("server { cgi .py /a; cgi .py /b; }", 1, #"duplicate extension ".py" in "cgi" directive"#),
        ("server { return moved; }", 1, #"invalid return code "moved""#),
        ("server { return 99 /x; }", 1, #"invalid return code "99""#),
        ("server { return /relative; }", 1, #"invalid return code "/relative""#),
        ("server { index a \"\"; }", 1, #"index "" in "index" directive is invalid"#),
    ]

    @Test(arguments: refusals)
    func badConfigurationIsRefusedWithFileLineAndMessage(text: String, line: Int, message: String) {
        #expect(refusal(text) == "\(configPath):\(line): \(message)")
    }

    @Test func firstErrorInFileOrderIsTheOneReported() {
        // A semantic error on line 2 comes before a syntax error on line 3.
        #expect(refusal("server {\n rooot a;\n }}") == "\(configPath):2: unknown directive \"rooot\"")
    }

    @Test func missingFileIsRefusedWithTheSystemMessage() {
        do {
            _ = try ConfigParser.parse(contentsOf: "/nonexistent/webserv.conf")
            Issue.record("a missing file parsed as a configuration")
        } catch {
            #expect(error.description
                == "/nonexistent/webserv.conf:1: cannot read configuration: No such file or directory")
        }
    }

    @Test func directoryGivenAsConfigIsRefused() {
        do {
            _ = try ConfigParser.parse(contentsOf: "/tmp")
            Issue.record("a directory parsed as a configuration")
        } catch {
            #expect(error.description == "/tmp:1: cannot read configuration: Is a directory")
        }
    }
}

@Suite struct ConfigLexerTests {
    private func words(_ text: String) throws -> [ConfigToken] {
        var lexer = ConfigLexer(bytes: Array(text.utf8), file: "t")
        var tokens: [ConfigToken] = []
        while let token = try lexer.next() { tokens.append(token) }
        return tokens
    }

    static let cases: [(text: String, tokens: [ConfigToken.Kind])] = [
        ("root a;", [.word("root"), .word("a"), .semicolon]),
        ("a{b}c;", [.word("a"), .openBrace, .word("b"), .closeBrace, .word("c"), .semicolon]),
        ("# comment ; {\nroot a; # trailing\n", [.word("root"), .word("a"), .semicolon]),
        ("return 301 /a#top;", [.word("return"), .word("301"), .word("/a#top"), .semicolon]),
        (#"auth_basic "My # realm; {x}";"#, [.word("auth_basic"), .word("My # realm; {x}"), .semicolon]),
        (#"a "say \"hi\" \\ \n";"#, [.word("a"), .word(#"say "hi" \ \n"#), .semicolon]),
        (#"a 'it\'s' "";"#, [.word("a"), .word("it's"), .word(""), .semicolon]),
        ("\t a \r\n b\t;", [.word("a"), .word("b"), .semicolon]),
    ]

    @Test(arguments: cases)
    func textIsSplitIntoTokens(text: String, tokens: [ConfigToken.Kind]) throws {
        #expect(try words(text).map(\.kind) == tokens)
    }

    @Test func tokensCarryTheLineTheyStartOn() throws {
        let tokens = try words("a\n\n b \"multi\nline\" c\n;")
        #expect(tokens.map(\.line) == [1, 3, 3, 4, 5])
    }
}

@Suite struct ConfigDirectiveTests {
    static let listens: [(written: String, host: String, port: UInt16)] = [
        ("8080", "0.0.0.0", 8080),
        ("1", "0.0.0.0", 1),
        ("65535", "0.0.0.0", 65535),
        ("127.0.0.1:8080", "127.0.0.1", 8080),
        ("127.000.000.001:81", "127.0.0.1", 81),
        ("localhost", "127.0.0.1", 80),
        ("localhost:8081", "127.0.0.1", 8081),
        ("10.1.2.3", "10.1.2.3", 80),
        ("*:8080", "0.0.0.0", 8080),
        ("[::1]:8080", "::1", 8080),
        ("[::]:80", "::", 80),
        ("[::1]", "::1", 80),
        ("[0:0:0:0:0:0:0:1]", "::1", 80),
        ("[2001:DB8:0:0:1:0:0:1]:443", "2001:db8::1:0:0:1", 443),
        ("[2001:db8::0:1]:443", "2001:db8::1", 443),
        ("[1:0:0:2:0:0:0:3]", "1:0:0:2::3", 80),
        ("[1:2:3:4:5:6:7:8]", "1:2:3:4:5:6:7:8", 80),
        ("[1:0:2:3:4:5:6:7]", "1:0:2:3:4:5:6:7", 80),
        ("[::ffff:1.2.3.4]:80", "::ffff:102:304", 80),
    ]

    @Test(arguments: listens)
    func listenAddressIsCanonical(written: String, host: String, port: UInt16) throws {
        let config = try parse("server { listen \(written); }")
        #expect(config.servers[0].listens == [Endpoint(host: host, port: port)])
    }

    @Test func serverWithoutListenListensOnPort80Everywhere() throws {
        #expect(try parse("server { }").servers[0].listens == [Endpoint(host: "0.0.0.0", port: 80)])
    }

    @Test func listenIsRepeatableAndKeepsOrder() throws {
        let config = try parse("server { listen 8081; listen 127.0.0.1:8080; listen [::]:8080; }")
        #expect(config.servers[0].listens.map(\.description) == ["0.0.0.0:8081", "127.0.0.1:8080", "[::]:8080"])
    }

    @Test func listenOptionsAreKeptPerAddress() throws {
        let config = try parse("""
            server { listen 8080 reuseport proxy_protocol; listen 127.0.0.1:8081; }
            server { listen 8080; listen 127.0.0.1:8081 proxy_protocol; listen [::1]:8082 reuseport; }
            """)
        #expect(config.listenOptions[Endpoint(host: "0.0.0.0", port: 8080)]
                == ListenOptions(reusePort: true, proxyProtocol: true))
        #expect(config.listenOptions[Endpoint(host: "127.0.0.1", port: 8081)] == ListenOptions(proxyProtocol: true))
        #expect(config.listenOptions[Endpoint(host: "::1", port: 8082)] == ListenOptions(reusePort: true))
        let router = Router(config: config)
        // A specific address received on the wildcard's socket has the options written for it, if any.
        #expect(router.listenOptions(for: Endpoint(host: "127.0.0.2", port: 8080)).proxyProtocol)
        #expect(!router.listenOptions(for: Endpoint(host: "127.0.0.1", port: 9999)).proxyProtocol)
    }

    @Test func realIPSettingsAreReadAtTopLevel() throws {
        #expect(try parse("server { }").realIP == RealIPSettings())
        #expect(try parse("server { }").realIP.source == .header("x-real-ip"))
        let config = try parse("set_real_ip_from 127.0.0.1;\nset_real_ip_from 2001:db8::/32;\n"
                               + "real_ip_header x-forwarded-FOR;\nserver { }")
        #expect(config.realIP.trusted == [AddressRange("127.0.0.1/32"), AddressRange("2001:db8::/32")].compactMap { $0 })
        #expect(config.realIP.source == .forwardedFor)
        #expect(try parse("real_ip_header proxy_protocol;\nserver { }").realIP.source == .proxyProtocol)
        #expect(try parse("real_ip_header CF-Connecting-IP;\nserver { }").realIP.source == .header("cf-connecting-ip"))
        #expect(config.realIP.trusts("127.0.0.1") && !config.realIP.trusts("127.0.0.2"))
    }

    @Test func serverNamesAreLowerCasedAndDotNamesExpand() throws {
        let config = try parse("server { server_name Example.COM *.Example.org; server_name www.* .test.net \"\"; }")
        #expect(config.servers[0].names == ["example.com", "*.example.org", "www.*", "test.net", "*.test.net"])
    }

    static let sizes: [(written: String, bytes: Int)] = [
        ("0", 0), ("1024", 1024), ("8k", 8192), ("8K", 8192), ("1m", 1 << 20), ("100M", 100 << 20), ("2g", 2 << 30),
    ]

    @Test(arguments: sizes)
    func clientMaxBodySizeTakesUnits(written: String, bytes: Int) throws {
        #expect(try rootLocation("client_max_body_size \(written);").clientMaxBodySize == bytes)
    }

    @Test(arguments: ["12x", "", "k", "-1", "1.5m", "99999999999999999999", "9999999999999g", "1 m"])
    func malformedSizeIsRefused(written: String) {
        #expect(refusal("server { client_max_body_size \"\(written)\"; }")
            == "\(configPath):1: invalid size \"\(written)\"")
    }

    static let durations: [(written: String, duration: Duration)] = [
        ("0", .zero), ("30", .seconds(30)), ("500ms", .milliseconds(500)), ("30s", .seconds(30)),
        ("5m", .seconds(300)), ("1h", .seconds(3600)), ("1d", .seconds(86400)), ("1m30s", .seconds(90)),
        ("1s500ms", .milliseconds(1500)),
    ]

    @Test(arguments: durations)
    func timeoutsTakeUnits(written: String, duration: Duration) throws {
        let config = try parse("""
            server {
                keepalive_timeout \(written); client_header_timeout \(written);
                client_body_timeout \(written); send_timeout \(written); cgi_timeout \(written);
            }
            """)
        let timeouts = config.servers[0].timeouts
        #expect([timeouts.keepalive, timeouts.clientHeader, timeouts.clientBody, timeouts.send]
            == Array(repeating: duration, count: 4))
        #expect(config.servers[0].locations[0].cgiTimeout == duration)
    }

    @Test(arguments: ["5y", "", "s", "ms5", "1m30", "-5s", "5 s", "99999999999999999999d"])
    func malformedTimeIsRefused(written: String) {
        #expect(refusal("server { send_timeout \"\(written)\"; }") == "\(configPath):1: invalid time \"\(written)\"")
    }

    @Test func unsetValuesTakeTheDefaults() throws {
        let config = try parse("server { }")
        let location = config.servers[0].locations[0]
        #expect(location.source == .root("/etc/webserv/html"))
        #expect(location.index == ["index.html"])
        #expect(location.autoindex == false)
        #expect(location.autoindexExactSize)
        #expect(location.autoindexFormat == .html)
        #expect(location.defaultLanguage == nil)
        #expect(location.charset == nil)
        #expect(location.errorPages.isEmpty)
        #expect(location.clientMaxBodySize == 1 << 20)
        #expect(location.allowedMethods == [.get, .head])
        #expect(location.redirect == nil)
        #expect(location.cgi.isEmpty)
        #expect(location.cgiTimeout == .seconds(30))
        #expect(location.cgiPathInfo == .fullPath)
        #expect(location.uploadStore == nil)
        #expect(location.authRealm == nil)
        #expect(location.authUserFile == nil)
        #expect(config.servers[0].timeouts == Timeouts())
        #expect(config.maxConnections == nil)
        #expect(config.accessLog == .standardError)
        #expect(config.errorLog == .standardError)
    }

    @Test func everyLocationDirectiveIsRecorded() throws {
        let location = try rootLocation("""
            location / {
                root /srv/www;
                index main.html index.htm;
                index default.html;
                autoindex on;
                autoindex_exact_size off;
                autoindex_format json;
                default_language en-GB;
                charset Windows-1252;
                error_page 404 410 /errors/gone.html;
                error_page 500 /errors/500.html;
                client_max_body_size 100m;
                allow_methods GET POST DELETE;
                return 307 https://example.com/;
                cgi .php /usr/bin/php-cgi;
                cgi .py /usr/bin/python3;
                cgi_timeout 10s;
                cgi_path_info extra;
                upload_store uploads;
                auth_basic "Staff only";
                auth_basic_user_file secrets/htpasswd;
            }
            """)
        #expect(location.source == .root("/srv/www"))
        #expect(location.index == ["main.html", "index.htm", "default.html"])
        #expect(location.autoindex)
        #expect(!location.autoindexExactSize)
        #expect(location.autoindexFormat == .json)
        #expect(location.defaultLanguage == "en-gb")
        #expect(location.charset == "windows-1252")
        #expect(location.errorPages == [404: "/errors/gone.html", 410: "/errors/gone.html", 500: "/errors/500.html"])
        #expect(location.clientMaxBodySize == 100 << 20)
        #expect(location.allowedMethods == [.get, .post, .delete])
        #expect(location.redirect == Location.Redirect(status: 307, target: "https://example.com/"))
        #expect(location.cgi == [".php": "/usr/bin/php-cgi", ".py": "/usr/bin/python3"])
        #expect(location.cgiTimeout == .seconds(10))
        #expect(location.cgiPathInfo == .extra)
        #expect(location.uploadStore == "/etc/webserv/uploads")
        #expect(location.authRealm == "Staff only")
        #expect(location.authUserFile == "/etc/webserv/secrets/htpasswd")
    }

    static let returns: [(written: String, status: Int, target: String)] = [
        ("301 /new", 301, "/new"),
        ("302 ../other", 302, "../other"),
        ("https://example.com/x", 302, "https://example.com/x"),
        ("http://example.com", 302, "http://example.com"),
        ("404", 404, ""),
        ("200 \"hello; world\"", 200, "hello; world"),
    ]

    @Test(arguments: returns)
    func returnTakesCodeAndTargetOrAnAbsoluteURL(written: String, status: Int, target: String) throws {
        #expect(try rootLocation("return \(written);").redirect == Location.Redirect(status: status, target: target))
    }

    @Test func aliasKeepsItsTrailingSlash() throws {
        let config = try parse("""
            server {
                location /images/ { alias /data/pics/; }
                location /kapouet { alias /tmp/www; }
                location = /favicon.ico { alias www/img/icon.ico; }
            }
            """)
        #expect(try location("/images/", in: config).source == .alias("/data/pics/"))
        #expect(try location("/kapouet", in: config).source == .alias("/tmp/www"))
        #expect(try location("/favicon.ico", in: config).source == .alias("/etc/webserv/www/img/icon.ico"))
        #expect(try location("/favicon.ico", in: config).match == .exact("/favicon.ico"))
    }

    @Test func exactLocationMayBeWrittenWithoutASpace() throws {
        #expect(try location("/a", in: parse("server { location =/a { } }")).match == .exact("/a"))
    }

    @Test func cgiInterpreterIsFoundInTheSearchPath() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("webserv-cgi-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let program = directory.appendingPathComponent("fakecgi")
        let notExecutable = directory.appendingPathComponent("plainfile")
        let files = FileManager.default
        #expect(files.createFile(atPath: program.path, contents: Data(), attributes: [.posixPermissions: 0o755]))
        #expect(files.createFile(atPath: notExecutable.path, contents: Data(), attributes: [.posixPermissions: 0o644]))
        let config = try parse("server { cgi .x fakecgi; cgi .y plainfile; cgi .z not-installed; cgi .r bin/run; }",
                               searchPath: ["/nonexistent", "relative/dir", directory.path])
        #expect(config.servers[0].locations[0].cgi == [
            ".x": program.path,
            ".y": "plainfile",
            ".z": "not-installed",
            ".r": "/etc/webserv/bin/run",
        ])
    }

    @Test func authBasicOffInALocationCancelsTheServerRealm() throws {
        let config = try parse("""
            server {
                auth_basic "Private";
                auth_basic_user_file users;
                location /public { auth_basic off; }
            }
            """)
        #expect(try location("/", in: config).authRealm == "Private")
        #expect(try location("/public", in: config).authRealm == nil)
        #expect(try location("/public", in: config).authUserFile == "/etc/webserv/users")
    }

    static let logs: [(written: String, target: LogTarget)] = [
        ("off", .off), ("stderr", .standardError), ("logs/access.log", .file("/etc/webserv/logs/access.log")),
        ("/var/log/webserv.log", .file("/var/log/webserv.log")),
    ]

    @Test(arguments: logs)
    func accessLogTakesAFileOrOff(written: String, target: LogTarget) throws {
        #expect(try parse("access_log \(written);\nserver { }").accessLog == target)
    }

    @Test func topLevelDirectivesAreRecorded() throws {
        let config = try parse("max_connections 512;\nerror_log ../log/error.log;\nshutdown_timeout 3s;\nserver { }")
        #expect(config.maxConnections == 512)
        #expect(config.errorLog == .file("/etc/log/error.log"))
        #expect(config.shutdownTimeout == .seconds(3))
        #expect(try parse("server { }").shutdownTimeout == .seconds(10))
        #expect(try parse("io_buffer_memory 64m;\nserver { }").ioBufferMemory == 64 << 20)
        #expect(try parse("server { }").ioBufferMemory == nil)
        #expect(config.sourcePath == configPath)
    }
}

@Suite struct ConfigInheritanceTests {
    /// Where bodies wait: `client_body_temp_path` (inherited), else `.webserv-tmp` in the upload store, or in
    /// the root or alias of a PUT location without one; nowhere for a location that stores nothing.
    @Test func bodyTemporariesFollowTheDirectiveTheStoreOrTheRoot() throws {
        let config = try parse("""
            server {
                root www;
                location /store { upload_store up; }
                location /configured {
                    upload_store up;
                    client_body_temp_path spool;
                }
                location /put { alias /srv/put/; allow_methods GET PUT; }
                location = /one { alias /srv/files/one.txt; allow_methods PUT; }
                location /read { }
            }
            server {
                listen 81;
                client_body_temp_path /var/spool/bodies;
                location /a { upload_store /a; }
            }
            """)
        #expect(try location("/store", in: config).bodyTemporaries == BodyTemporaries(
            path: "/etc/webserv/up/.webserv-tmp", destination: "/etc/webserv/up", isConfigured: false, line: 3))
        #expect(try location("/configured", in: config).bodyTemporaries == BodyTemporaries(
            path: "/etc/webserv/spool", destination: "/etc/webserv/up", isConfigured: true, line: 6))
        #expect(try location("/put", in: config).bodyTemporaries == BodyTemporaries(
            path: "/srv/put/.webserv-tmp", destination: "/srv/put/", isConfigured: false, line: nil))
        #expect(try location("/one", in: config).bodyTemporaries?.path == "/srv/files/.webserv-tmp")
        #expect(try location("/read", in: config).bodyTemporaries == nil)
        let inherited = try #require(config.servers[1].locations.first { $0.path == "/a" })
        #expect(inherited.bodyTemporaries == BodyTemporaries(path: "/var/spool/bodies", destination: "/a",
                                                             isConfigured: true, line: 14))
    }

    @Test func locationsInheritServerValuesAndOverrideWhatTheySet() throws {
        let config = try parse("""
            server {
                root www;
                autoindex on;
                client_max_body_size 2m;
                allow_methods GET POST;
                cgi_timeout 5s;
                upload_store up;
                location /a { }
                location /b { root /b; autoindex off; client_max_body_size 0; allow_methods DELETE; cgi_timeout 1s;
                              upload_store /tmp/up; }
            }
            """)
        let a = try location("/a", in: config)
        #expect(a.source == .root("/etc/webserv/www"))
        #expect(a.autoindex)
        #expect(a.clientMaxBodySize == 2 << 20)
        #expect(a.allowedMethods == [.get, .post])
        #expect(a.cgiTimeout == .seconds(5))
        #expect(a.uploadStore == "/etc/webserv/up")
        let b = try location("/b", in: config)
        #expect(b.source == .root("/b"))
        #expect(!b.autoindex)
        #expect(b.clientMaxBodySize == 0)
        #expect(b.allowedMethods == [.delete])
        #expect(b.cgiTimeout == .seconds(1))
        #expect(b.uploadStore == "/tmp/up")
    }

    @Test func arrayDirectivesInALocationReplaceTheWholeInheritedSet() throws {
        let config = try parse("""
            server {
                index a.html b.html;
                error_page 404 /404.html;
                error_page 500 /500.html;
                cgi .php /usr/bin/php-cgi;
                cgi .py /usr/bin/python3;
                location /inherits { }
                location /replaces { index c.html; error_page 403 /403.html; cgi .sh /bin/sh; }
            }
            """)
        let inherits = try location("/inherits", in: config)
        #expect(inherits.index == ["a.html", "b.html"])
        #expect(inherits.errorPages == [404: "/404.html", 500: "/500.html"])
        #expect(inherits.cgi == [".php": "/usr/bin/php-cgi", ".py": "/usr/bin/python3"])
        let replaces = try location("/replaces", in: config)
        #expect(replaces.index == ["c.html"])
        #expect(replaces.errorPages == [403: "/403.html"])
        #expect(replaces.cgi == [".sh": "/bin/sh"])
    }

    @Test func serverReturnReachesEveryLocationUnlessOneSetsItsOwn() throws {
        let config = try parse("""
            server {
                location /a { }
                location /b { return 410; }
                return 301 https://elsewhere.example/;
            }
            """)
        let moved = Location.Redirect(status: 301, target: "https://elsewhere.example/")
        #expect(try location("/a", in: config).redirect == moved)
        #expect(try location("/", in: config).redirect == moved)
        #expect(try location("/b", in: config).redirect == Location.Redirect(status: 410, target: ""))
    }

    @Test func aliasInALocationReplacesTheServerRoot() throws {
        let config = try parse("server { root /srv; location /k { alias /tmp/www; } }")
        #expect(try location("/k", in: config).source == .alias("/tmp/www"))
        #expect(try location("/", in: config).source == .root("/srv"))
    }

    @Test func serverWithoutSlashLocationGetsAnImplicitOneWithItsSettings() throws {
        let config = try parse("server {\n  autoindex on;\n  location /a { }\n  location = / { }\n}")
        let server = config.servers[0]
        #expect(server.origin == "\(configPath):1")
        #expect(server.locations.map(\.match) == [.prefix("/a"), .exact("/"), .prefix("/")])
        let implicit = try #require(server.locations.last)
        #expect(implicit.autoindex)
        #expect(implicit.origin == "\(configPath):1")
        #expect(server.locations[0].origin == "\(configPath):3")
    }

    @Test func explicitSlashLocationIsNotDuplicated() throws {
        let config = try parse("server {\n  location / { autoindex on; }\n}")
        #expect(config.servers[0].locations.count == 1)
        #expect(config.servers[0].locations[0].autoindex)
        #expect(config.servers[0].locations[0].origin == "\(configPath):2")
    }

    static let relativePaths: [(written: String, resolved: String)] = [
        ("www", "/etc/webserv/www"),
        ("../www", "/etc/www"),
        ("./a/./b/../c/", "/etc/webserv/a/c"),
        ("a//b", "/etc/webserv/a/b"),
        ("../../../..", "/"),
        ("/abs/./x/../y", "/abs/y"),
    ]

    @Test(arguments: relativePaths)
    func relativePathsResolveAgainstTheConfigDirectory(written: String, resolved: String) throws {
        let location = try rootLocation("""
            root \(written);
            upload_store \(written);
            auth_basic_user_file \(written);
            """)
        #expect(location.source == .root(resolved))
        #expect(location.uploadStore == resolved)
        #expect(location.authUserFile == resolved)
    }

    @Test func relativeConfigPathIsAnchoredAtTheWorkingDirectory() throws {
        let config = try ConfigParser.parse(text: "server { root www; }", sourcePath: "conf/x.conf")
        let cwd = FileManager.default.currentDirectoryPath
        #expect(config.sourcePath == cwd + "/conf/x.conf")
        #expect(config.servers[0].locations[0].source == .root(cwd + "/conf/www"))
    }

    @Test func configFileOnDiskResolvesAgainstItsOwnDirectory() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("webserv-conf-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("site.conf")
        try "server { listen 8080; root ../www; }\n".write(to: file, atomically: true, encoding: .utf8)
        let config = try ConfigParser.parse(contentsOf: file.path)
        #expect(config.sourcePath == file.path)
        #expect(config.servers[0].locations[0].source == .root(directory.deletingLastPathComponent().path + "/www"))
    }
}

@Suite struct RealisticConfigTests {
    static let issueExample = """
        # webserv demo configuration
        max_connections 1024;
        access_log logs/access.log;

        server {
            listen 127.0.0.1:8080;              # [host:]port, repeatable; default 0.0.0.0:80
            server_name example.com *.example.com;
            root www;                           # relative paths: against the config file's directory
            index index.html index.htm;         # default index.html
            autoindex off;
            error_page 404 /errors/404.html;    # codes... uri; served with the original status
            client_max_body_size 1m;            # bytes, k, m, g; 0 = unlimited; default 1m
            allow_methods GET HEAD;             # literal list; default GET HEAD; others -> 405 + Allow
            keepalive_timeout 75s;  client_header_timeout 60s;  client_body_timeout 60s;  send_timeout 60s;
            location /images/ { root /srv/pics; autoindex on; }
            location /kapouet { alias /tmp/www; }          # /kapouet/pouic/toto -> /tmp/www/pouic/toto
            location = /favicon.ico { alias www/img/icon.ico; }
            location /old { return 301 /new; }
            location /upload { allow_methods GET POST PUT DELETE; upload_store uploads; client_max_body_size 100m; }
            location /cgi-bin { cgi .php /usr/bin/php-cgi; cgi .py /usr/bin/python3; cgi_timeout 30s; }
        }

        server {
            listen 127.0.0.1:8080;
            server_name 'other.test';
            root /srv/other;
        }
        """

    @Test func issueExampleParsesIntoResolvedLocations() throws {
        let config = try parse(Self.issueExample)
        #expect(config.maxConnections == 1024)
        #expect(config.accessLog == .file("/etc/webserv/logs/access.log"))
        #expect(config.servers.count == 2)
        let site = config.servers[0]
        #expect(site.listens == [Endpoint(host: "127.0.0.1", port: 8080)])
        #expect(site.names == ["example.com", "*.example.com"])
        #expect(site.locations.map(\.match) == [
            .prefix("/images/"), .prefix("/kapouet"), .exact("/favicon.ico"), .prefix("/old"), .prefix("/upload"),
            .prefix("/cgi-bin"), .prefix("/"),
        ])
        let images = try location("/images/", in: config)
        #expect(images.source == .root("/srv/pics"))
        #expect(images.autoindex)
        #expect(images.errorPages == [404: "/errors/404.html"])
        #expect(images.index == ["index.html", "index.htm"])
        #expect(try location("/old", in: config).redirect == Location.Redirect(status: 301, target: "/new"))
        let upload = try location("/upload", in: config)
        #expect(upload.allowedMethods == [.get, .post, .put, .delete])
        #expect(upload.uploadStore == "/etc/webserv/uploads")
        #expect(upload.clientMaxBodySize == 100 << 20)
        #expect(upload.source == .root("/etc/webserv/www"))
        let cgi = try location("/cgi-bin", in: config)
        #expect(cgi.cgi == [".php": "/usr/bin/php-cgi", ".py": "/usr/bin/python3"])
        #expect(cgi.allowedMethods == [.get, .head])
        let other = config.servers[1]
        #expect(other.names == ["other.test"])
        #expect(other.locations.map(\.source) == [.root("/srv/other")])
        #expect(other.origin == "\(configPath):23")
    }
}

@Suite struct CharsetDirectiveConfigTests {
    @Test func charsetIsInheritedAndOffClearsIt() throws {
        let config = try parse("server { charset KOI8-R; location /a/ { } location /b/ { charset off; } }")
        let byPath = Dictionary(uniqueKeysWithValues: config.servers[0].locations.map { ($0.path, $0.charset) })
        #expect(byPath["/a/"] == .some("koi8-r"))
        #expect(byPath["/b/"] == .some(nil))
        #expect(byPath["/"] == .some("koi8-r"))
    }
}
