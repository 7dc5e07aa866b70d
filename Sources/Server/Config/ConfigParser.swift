#if canImport(Glibc)
import Glibc
#endif

/// A configuration problem, reported as `file:line: message`.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int
    public var message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { "\(file):\(line): \(message)" }
}

/// Reads an nginx-style configuration into a validated `Config`.
public enum ConfigParser {
    /// Reads and parses the file (relative paths inside it resolve against its directory), then reads the
    /// files it names (auth_basic_user_file) and creates the body temporaries directories: the file a server
    /// runs from must be complete, while `parse(text:)` stays free of any disk access.
    public static func parse(contentsOf path: String) throws(ConfigError) -> Config {
        let bytes = try StartupFile.read(path, what: "cannot read configuration")
        var config = try parse(bytes: bytes, sourcePath: path, searchPath: ConfigValues.environmentSearchPath())
        try loadUserFiles(into: &config)
        try TemporaryDirectories.prepare(config, file: path)
        return config
    }

    /// Each user file is read once and shared by the locations naming it; a bad or plain-text one stops
    /// start-up with its own `file:line`.
    static func loadUserFiles(into config: inout Config) throws(ConfigError) {
        var loaded: [String: UserFile] = [:]
        for s in config.servers.indices {
            for l in config.servers[s].locations.indices {
                guard let path = config.servers[s].locations[l].authUserFile else { continue }
                if loaded[path] == nil { loaded[path] = try UserFile(contentsOf: path) }
                config.servers[s].locations[l].authUsers = loaded[path]
            }
        }
    }

    /// Parses text; `sourcePath` names it in messages and anchors relative paths.
    public static func parse(text: String, sourcePath: String) throws(ConfigError) -> Config {
        try parse(bytes: Array(text.utf8), sourcePath: sourcePath, searchPath: ConfigValues.environmentSearchPath())
    }

    /// `searchPath` stands in for `$PATH` (bare CGI interpreter names are looked up there).
    static func parse(bytes: [UInt8], sourcePath: String, searchPath: [String]) throws(ConfigError) -> Config {
        let absolutePath = ConfigValues.absolutePath(sourcePath, relativeTo: ConfigValues.currentDirectory())
        let source = ConfigSource(file: sourcePath, directory: ConfigValues.directory(of: absolutePath),
                                  searchPath: searchPath)
        var reader = Reader(lexer: ConfigLexer(bytes: bytes, file: sourcePath), source: source)
        var config = try reader.readMain()
        config.sourcePath = absolutePath
        return config
    }

    /// Recursive descent over the token stream; each directive is checked as soon as it is complete, so the
    /// first error in file order is the one reported.
    private struct Reader {
        var lexer: ConfigLexer
        let source: ConfigSource

        mutating func readMain() throws(ConfigError) -> Config {
            var config = Config(sourcePath: source.file, servers: [])
            var seen: Set<String> = []
            while let statement = try nextStatement(in: .main, seen: &seen) {
                switch statement.name {
                case "server":
                    config.servers.append(try readServer(at: statement.line))
                case "max_connections":
                    config.maxConnections = try positiveCount(statement)
                case "limit_conn_per_client":
                    config.limitConnPerClient = statement.value == "off" ? nil : try positiveCount(statement)
                case "cgi_max_processes":
                    config.cgiMaxProcesses = try positiveCount(statement)
                case "cgi_queue_timeout":
                    config.cgiQueueTimeout = try LocationSettings.duration(statement, source: source)
                case "access_log":
                    config.accessLog = statement.value == "off" ? .off : logTarget(statement.value)
                case "error_log":
                    config.errorLog = logTarget(statement.value)
                case "shutdown_timeout":
                    config.shutdownTimeout = try LocationSettings.duration(statement, source: source)
                case "io_buffer_memory":
                    guard let bytes = ConfigValues.size(statement.value), bytes >= BufferPool.minimumBytes else {
                        throw source.error(statement.line, "invalid size \"\(statement.value)\" in \"io_buffer_memory\" "
                                           + "directive (at least 256k)")
                    }
                    config.ioBufferMemory = bytes
                case "pid":
                    config.pidFile = source.absolute(statement.value)
                default:
                    preconditionFailure("directive \(statement.name) admitted at top level but not handled")
                }
            }
            guard !config.servers.isEmpty else { throw source.error(lexer.line, "no \"server\" block") }
            return config
        }

        private func positiveCount(_ statement: ConfigStatement) throws(ConfigError) -> Int {
            guard let count = ConfigValues.decimal(Substring(statement.value)), count > 0 else {
                throw source.error(statement.line,
                                   "invalid number \"\(statement.value)\" in \"\(statement.name)\" directive")
            }
            return count
        }

        private func logTarget(_ value: String) -> LogTarget {
            value == "stderr" ? .standardError : .file(source.absolute(value))
        }

        private mutating func readServer(at line: Int) throws(ConfigError) -> VirtualServer {
            var listens: [Endpoint] = []
            var names: [String] = []
            var timeouts = Timeouts()
            var settings = LocationSettings()
            var locations: [(match: Location.Match, settings: LocationSettings, line: Int)] = []
            var seen: Set<String> = []
            while let statement = try nextStatement(in: .server, seen: &seen) {
                switch statement.name {
                case "listen":
                    let endpoint = try listen(statement)
                    if listens.contains(endpoint) {
                        throw source.error(statement.line, "duplicate listen \(endpoint)")
                    }
                    listens.append(endpoint)
                case "server_name":
                    names += try serverNames(statement)
                case "keepalive_timeout":
                    timeouts.keepalive = try LocationSettings.duration(statement, source: source)
                case "client_header_timeout":
                    timeouts.clientHeader = try LocationSettings.duration(statement, source: source)
                case "client_body_timeout":
                    timeouts.clientBody = try LocationSettings.duration(statement, source: source)
                case "send_timeout":
                    timeouts.send = try LocationSettings.duration(statement, source: source)
                case "location":
                    let match = try locationMatch(statement)
                    if locations.contains(where: { $0.match == match }) {
                        let path: String
                        switch match {
                        case .prefix(let written), .exact(let written): path = written
                        }
                        throw source.error(statement.line, "duplicate location \"\(path)\"")
                    }
                    locations.append((match, try readLocation(), statement.line))
                default:
                    let applied = try settings.apply(statement, from: source)
                    precondition(applied, "directive \(statement.name) admitted in server but not handled")
                }
            }
            // Resolved only now: nginx merges after the whole block, so a server value written below a
            // location still reaches it.
            let defaultRoot = source.absolute("html")
            var resolved = locations.map {
                $0.settings.location(match: $0.match, origin: source.origin($0.line), inheriting: settings,
                                     defaultRoot: defaultRoot)
            }
            if !locations.contains(where: { $0.match == .prefix("/") }) {
                resolved.append(LocationSettings().location(match: .prefix("/"), origin: source.origin(line),
                                                            inheriting: settings, defaultRoot: defaultRoot))
            }
            return VirtualServer(listens: listens.isEmpty ? [Endpoint(host: "0.0.0.0", port: 80)] : listens,
                                 names: names, locations: resolved, timeouts: timeouts,
                                 origin: source.origin(line))
        }

        private mutating func readLocation() throws(ConfigError) -> LocationSettings {
            var settings = LocationSettings()
            var seen: Set<String> = []
            while let statement = try nextStatement(in: .location, seen: &seen) {
                let applied = try settings.apply(statement, from: source)
                precondition(applied, "directive \(statement.name) admitted in location but not handled")
            }
            return settings
        }

        private func listen(_ statement: ConfigStatement) throws(ConfigError) -> Endpoint {
            if statement.arguments.count > 1 {
                throw source.error(statement.argumentLines[1], "invalid parameter \"\(statement.arguments[1])\"")
            }
            switch ListenAddress.parse(statement.value) {
            case .success(let endpoint):
                return endpoint
            case .failure(.invalidPort):
                throw source.error(statement.line, "invalid port in \"\(statement.value)\"")
            case .failure(.hostNotFound):
                throw source.error(statement.line, "host not found in \"\(statement.value)\"")
            }
        }

        /// Lower-cased names; `.example.com` stands for `example.com` and `*.example.com` (nginx).
        private func serverNames(_ statement: ConfigStatement) throws(ConfigError) -> [String] {
            var names: [String] = []
            for (written, line) in zip(statement.arguments, statement.argumentLines) {
                let name = written.lowercased()
                let stars = name.utf8.count(where: { $0 == UInt8(ascii: "*") })
                let wellFormed = stars == 0 ? !name.hasPrefix("~")
                    : stars == 1 && name.utf8.count > 2 && (name.hasPrefix("*.") || name.hasSuffix(".*"))
                guard wellFormed else {
                    throw source.error(line, "invalid server name or wildcard \"\(written)\"")
                }
                if name.isEmpty { continue }  // `server_name "";` — a request without Host gets the default.
                if name.hasPrefix("."), name.utf8.count > 1 {
                    names.append(String(name.dropFirst()))
                    names.append("*" + name)
                } else {
                    names.append(name)
                }
            }
            return names
        }

        private func locationMatch(_ statement: ConfigStatement) throws(ConfigError) -> Location.Match {
            var path = statement.arguments[statement.arguments.count - 1]
            var exact = false
            if statement.arguments.count == 2 {
                guard statement.arguments[0] == "=" else {
                    throw source.error(statement.argumentLines[0],
                                       "invalid location modifier \"\(statement.arguments[0])\"")
                }
                exact = true
            } else if path.hasPrefix("="), path.utf8.count > 1 {
                path.removeFirst()
                exact = true
            }
            guard path.hasPrefix("/") else {
                throw source.error(statement.argumentLines[statement.arguments.count - 1],
                                   "invalid location \"\(path)\", it must start with \"/\"")
            }
            return exact ? .exact(path) : .prefix(path)
        }

        /// The next directive of the current block, having passed its rule's checks; nil at the block's end.
        private mutating func nextStatement(in context: ConfigContext, seen: inout Set<String>)
            throws(ConfigError) -> ConfigStatement?
        {
            var words: [String] = []
            var lines: [Int] = []
            while true {
                guard let token = try lexer.next() else {
                    if !words.isEmpty {
                        throw source.error(lexer.line, "unexpected end of file, expecting \";\" or \"}\"")
                    }
                    if context != .main {
                        throw source.error(lexer.line, "unexpected end of file, expecting \"}\"")
                    }
                    return nil
                }
                switch token.kind {
                case .word(let word):
                    words.append(word)
                    lines.append(token.line)
                case .semicolon:
                    guard !words.isEmpty else { throw source.error(token.line, "unexpected \";\"") }
                    return try checked(words, lines, opensBlock: false, at: token.line, in: context, seen: &seen)
                case .openBrace:
                    guard !words.isEmpty else { throw source.error(token.line, "unexpected \"{\"") }
                    return try checked(words, lines, opensBlock: true, at: token.line, in: context, seen: &seen)
                case .closeBrace:
                    guard words.isEmpty, context != .main else { throw source.error(token.line, "unexpected \"}\"") }
                    return nil
                }
            }
        }

        /// nginx's order of checks: known name, allowed here, block or not, argument count, duplicate.
        private func checked(_ words: [String], _ lines: [Int], opensBlock: Bool, at terminatorLine: Int,
                             in context: ConfigContext, seen: inout Set<String>) throws(ConfigError) -> ConfigStatement
        {
            let name = words[0]
            guard let rule = DirectiveRule.all[name] else {
                throw source.error(lines[0], "unknown directive \"\(name)\"")
            }
            guard rule.contexts.contains(context) else {
                throw source.error(lines[0], "\"\(name)\" directive is not allowed here")
            }
            if opensBlock && !rule.opensBlock {
                throw source.error(terminatorLine, "directive \"\(name)\" is not terminated by \";\"")
            }
            if !opensBlock && rule.opensBlock {
                throw source.error(terminatorLine, "directive \"\(name)\" has no opening \"{\"")
            }
            guard rule.arguments.contains(words.count - 1) else {
                throw source.error(lines[0], "invalid number of arguments in \"\(name)\" directive")
            }
            if !rule.repeatable && !seen.insert(name).inserted {
                throw source.error(lines[0], "\"\(name)\" directive is duplicate")
            }
            return ConfigStatement(name: name, line: lines[0], arguments: Array(words.dropFirst()),
                                   argumentLines: Array(lines.dropFirst()), opensBlock: opensBlock)
        }
    }
}
