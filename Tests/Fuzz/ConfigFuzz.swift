/// Configuration parser over text only (no file is read; `$PATH` is empty so no interpreter is looked up).
/// Properties: an error names the source and a line that exists; an accepted config is fully resolved
/// (absolute, normalised paths; a "/" location in every server; listen endpoints canonical, so printing one and
/// parsing it back gives it again; codes in range); and CR before LF changes nothing outside quotes.
@_cdecl("LLVMFuzzerTestOneInput")
public func configFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let outcome = parse(bytes)
    switch outcome {
    case .failure(let error):
        let lines = bytes.count(where: { $0 == UInt8(ascii: "\n") }) + 1
        require(error.file == sourcePath, "error names \(error.file), not \(sourcePath)")
        require(error.line >= 1 && error.line <= lines, "error on line \(error.line) of \(lines): \(error); input \(describe(bytes))")
        require(!error.message.isEmpty, "empty error message")
    case .success(let config):
        checkConfig(config, input: bytes)
    }

    if !bytes.contains(UInt8(ascii: "\"")) && !bytes.contains(UInt8(ascii: "'")) && bytes.contains(UInt8(ascii: "\n")) {
        var crlf: [UInt8] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") { crlf.append(UInt8(ascii: "\r")) }
            crlf.append(byte)
        }
        let other = parse(crlf)
        require(summary(other) == summary(outcome),
                "CRLF line ends changed the outcome:\n  LF   \(summary(outcome))\n  CRLF \(summary(other))\n  input \(describe(bytes))")
    }
    return 0
}

private let sourcePath = "/fuzz/conf/webserv.conf"

private func parse(_ bytes: [UInt8]) -> Result<Config, ConfigError> {
    Result { () throws(ConfigError) -> Config in
        try ConfigParser.parse(bytes: bytes, sourcePath: sourcePath, searchPath: [])
    }
}

private func summary(_ outcome: Result<Config, ConfigError>) -> String {
    switch outcome {
    case .failure(let error): return "error \(error)"
    case .success(let config): return canonical(config)
    }
}

/// Every field, with sets and dictionaries sorted: their iteration order differs between equal instances.
private func canonical(_ config: Config) -> String {
    var out = "config \(config.sourcePath) \(String(describing: config.maxConnections)) \(config.accessLog) \(config.errorLog)"
    for server in config.servers {
        out += "\nserver \(server.listens) \(server.names) \(server.timeouts) \(server.origin)"
        for l in server.locations {
            out += "\n  location \(l.match) \(l.source) \(l.index) \(l.autoindex) \(l.errorPages.sorted { $0.key < $1.key })"
            out += " \(l.clientMaxBodySize) \(l.allowedMethods.map(\.rawValue).sorted()) \(String(describing: l.redirect))"
            out += " \(l.cgi.sorted { $0.key < $1.key }) \(l.cgiTimeout) \(l.cgiPathInfo) \(String(describing: l.uploadStore))"
            out += " \(String(describing: l.authRealm)) \(String(describing: l.authUserFile)) \(l.origin)"
        }
    }
    return out
}

private func checkConfig(_ config: Config, input: [UInt8]) {
    let context = { "input \(describe(input))" }
    require(config.sourcePath == sourcePath, "sourcePath \(config.sourcePath)")
    require(!config.servers.isEmpty, "config without servers; \(context())")
    require(config.maxConnections.map { $0 > 0 } ?? true, "max_connections \(config.maxConnections!); \(context())")
    for log in [config.accessLog, config.errorLog] {
        if case .file(let path) = log { checkPath(path, "log file", context) }
    }
    for server in config.servers {
        require(!server.listens.isEmpty, "server without listen; \(context())")
        require(Set(server.listens).count == server.listens.count, "duplicate listen kept; \(context())")
        for endpoint in server.listens {
            require(endpoint.port >= 1, "port 0; \(context())")
            let again = ListenAddress.parse(endpoint.description)
            require(again == .success(endpoint), "listen \(endpoint) is not canonical: reparsed as \(again); \(context())")
        }
        for name in server.names {
            require(!name.isEmpty && name == name.lowercased(), "server name \"\(name)\" not lower-cased; \(context())")
        }
        for duration in [server.timeouts.keepalive, server.timeouts.clientHeader, server.timeouts.clientBody,
                         server.timeouts.send] {
            require(duration >= .zero, "negative timeout \(duration); \(context())")
        }
        require(server.locations.contains { $0.match == .prefix("/") }, "server without a \"/\" location; \(context())")
        for (index, location) in server.locations.enumerated() {
            require(!server.locations[..<index].contains { $0.match == location.match },
                    "duplicate location \(location.match); \(context())")
            require(location.path.hasPrefix("/"), "location \(location.path) not absolute; \(context())")
            switch location.source {
            case .root(let root): checkPath(root, "root", context)
            case .alias(let alias): checkPath(alias, "alias", context, trailingSlash: true)
            }
            if let store = location.uploadStore { checkPath(store, "upload_store", context) }
            if let file = location.authUserFile { checkPath(file, "auth_basic_user_file", context) }
            require(location.clientMaxBodySize >= 0, "negative client_max_body_size; \(context())")
            require(location.cgiTimeout >= .zero, "negative cgi_timeout; \(context())")
            require(location.errorPages.keys.allSatisfy { (300...599).contains($0) }, "error_page code out of range; \(context())")
            if let redirect = location.redirect {
                require((100...599).contains(redirect.status), "return code \(redirect.status); \(context())")
            }
            for (ext, program) in location.cgi {
                require(ext.hasPrefix(".") && ext.utf8.count > 1, "cgi extension \"\(ext)\"; \(context())")
                require(!program.isEmpty, "empty cgi interpreter; \(context())")
                if program.contains("/") { checkPath(program, "cgi interpreter", context) }
            }
            require(!location.index.contains(""), "empty index name; \(context())")
        }
    }
}

/// Absolute and lexically normal: no empty, "." or ".." segment (a trailing "/" only where kept on purpose).
private func checkPath(_ path: String, _ what: String, _ context: () -> String, trailingSlash: Bool = false) {
    require(path.hasPrefix("/"), "\(what) \"\(path)\" not absolute; \(context())")
    guard path != "/" else { return }
    var segments = path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst()
    if trailingSlash && segments.last?.isEmpty == true { segments = segments.dropLast() }
    for segment in segments {
        require(!segment.isEmpty && !segment.elementsEqual(".".utf8) && !segment.elementsEqual("..".utf8),
                "\(what) \"\(path)\" not normalised; \(context())")
    }
}
