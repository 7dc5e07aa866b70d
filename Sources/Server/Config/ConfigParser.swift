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
    /// runs from must be complete, while `parse(text:)` stays free of any disk access but its includes.
    /// `files` gives every file's bytes (read directly at start-up, loaded through select() at reload).
    public static func parse(contentsOf path: String) throws(ConfigError) -> Config {
        try parse(contentsOf: path, files: .direct())
    }

    static func parse(contentsOf path: String, files: ConfigFiles) throws(ConfigError) -> Config {
        let bytes = try files.read(path, what: "cannot read configuration")
        var config = try parse(bytes: bytes, sourcePath: path, searchPath: ConfigValues.environmentSearchPath(),
                               files: files)
        try loadUserFiles(into: &config, files: files)
        // Only a complete configuration touches the disk.
        if files.missing.isEmpty { try TemporaryDirectories.prepare(config, file: path) }
        return config
    }

    /// Each user file is read once and shared by the locations naming it; a bad or plain-text one stops
    /// start-up with its own `file:line`.
    static func loadUserFiles(into config: inout Config, files: ConfigFiles = .direct()) throws(ConfigError) {
        var loaded: [String: UserFile] = [:]
        for s in config.servers.indices {
            for l in config.servers[s].locations.indices {
                guard let path = config.servers[s].locations[l].authUserFile else { continue }
                if loaded[path] == nil {
                    loaded[path] = try UserFile(bytes: files.read(path, what: "cannot read user file"), path: path)
                }
                config.servers[s].locations[l].authUsers = loaded[path]
            }
        }
    }

    /// Parses text; `sourcePath` names it in messages and anchors relative paths.
    public static func parse(text: String, sourcePath: String) throws(ConfigError) -> Config {
        try parse(bytes: Array(text.utf8), sourcePath: sourcePath, searchPath: ConfigValues.environmentSearchPath())
    }

    /// `searchPath` stands in for `$PATH` (bare CGI interpreter names are looked up there).
    static func parse(bytes: [UInt8], sourcePath: String, searchPath: [String], files: ConfigFiles = .direct())
        throws(ConfigError) -> Config
    {
        let absolutePath = ConfigValues.absolutePath(sourcePath, relativeTo: ConfigValues.currentDirectory())
        let source = ConfigSource(file: sourcePath, directory: ConfigValues.directory(of: absolutePath),
                                  searchPath: searchPath)
        var reader = Reader(lexer: ConfigLexer(bytes: bytes, file: sourcePath), source: source, files: files,
                            chain: [absolutePath])
        var config = try reader.readMain()
        config.sourcePath = absolutePath
        return config
    }

    /// Recursive descent over the token stream; each directive is checked as soon as it is complete, so the
    /// first error in file order is the one reported. An `include` switches the stream to the included files
    /// in turn, then back; their directives belong to the block the `include` sits in (nginx).
    private struct Reader {
        var lexer: ConfigLexer
        var source: ConfigSource
        var listenOptions = ListenOptionsTable()
        let files: ConfigFiles
        /// Absolute paths of the file being read and of those including it: including one of them is a cycle.
        var chain: [String]
        /// Blocks open (server, location, types).
        var depth = 0
        /// The block depth an included file began at (nil in the main file): it must close what it opens.
        var includedAt: Int?
        /// Where to go back to at the end of the current file: files of the same include still to read, then
        /// the including file, innermost last.
        var resumes: [Input] = []

        /// A file's token stream and what goes with it.
        struct Input {
            var lexer: ConfigLexer
            var source: ConfigSource
            var chain: [String]
            var includedAt: Int?
        }

        /// Nested includes past this are refused: a cycle through differently spelled paths ends here too.
        static let maxIncludeDepth = 32

        init(lexer: ConfigLexer, source: ConfigSource, files: ConfigFiles, chain: [String]) {
            self.lexer = lexer
            self.source = source
            self.files = files
            self.chain = chain
        }

        mutating func readMain() throws(ConfigError) -> Config {
            var config = Config(sourcePath: source.file, servers: [])
            var seen: Set<String> = []
            // Types and default_type of the top level reach every server, wherever they are written (nginx
            // merges after the whole file).
            var topLevel = LocationSettings()
            var drafts: [ServerDraft] = []
            while let statement = try nextStatement(in: .main, seen: &seen) {
                switch statement.name {
                case "server":
                    drafts.append(try readServer(at: statement.line))
                case "types":
                    topLevel.types = try readTypes(over: topLevel.types)
                case "default_type":
                    _ = try topLevel.apply(statement, from: source)
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
                case "set_real_ip_from":
                    guard let range = AddressRange(statement.value) else {
                        throw source.error(statement.line, "invalid address range \"\(statement.value)\" in "
                                           + "\"set_real_ip_from\" directive")
                    }
                    config.realIP.trusted.append(range)
                case "real_ip_header":
                    guard let realIPSource = RealIPSettings.source(named: statement.value) else {
                        throw source.error(statement.line, "invalid header \"\(statement.value)\" in "
                                           + "\"real_ip_header\" directive")
                    }
                    config.realIP.source = realIPSource
                case "pid":
                    config.pidFile = source.absolute(statement.value)
                default:
                    preconditionFailure("directive \(statement.name) admitted at top level but not handled")
                }
            }
            guard !drafts.isEmpty else { throw source.error(lexer.line, "no \"server\" block") }
            config.servers = drafts.map { $0.resolved(inheriting: topLevel) }
            config.listenOptions = try listenOptions.checked(source)
            return config
        }

        /// A server block as read, resolved once the top level is complete.
        struct ServerDraft {
            var listens: [Endpoint]
            var names: [String]
            var timeouts: Timeouts
            var settings: LocationSettings
            var locations: [(match: Location.Match, settings: LocationSettings, origin: String)]
            var origin: String
            var defaultRoot: String

            func resolved(inheriting topLevel: LocationSettings) -> VirtualServer {
                var settings = settings
                settings.types = settings.types ?? topLevel.types
                settings.defaultType = settings.defaultType ?? topLevel.defaultType
                var resolved = locations.map {
                    $0.settings.location(match: $0.match, origin: $0.origin, inheriting: settings,
                                         defaultRoot: defaultRoot)
                }
                if !locations.contains(where: { $0.match == .prefix("/") }) {
                    resolved.append(LocationSettings().location(match: .prefix("/"), origin: origin,
                                                                inheriting: settings, defaultRoot: defaultRoot))
                }
                return VirtualServer(listens: listens.isEmpty ? [Endpoint(host: "0.0.0.0", port: 80)] : listens,
                                     names: names, locations: resolved, timeouts: timeouts, origin: origin)
            }
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

        private mutating func readServer(at line: Int) throws(ConfigError) -> ServerDraft {
            let origin = source.origin(line)
            var listens: [Endpoint] = []
            var names: [String] = []
            var timeouts = Timeouts()
            var settings = LocationSettings()
            var locations: [(match: Location.Match, settings: LocationSettings, origin: String)] = []
            var seen: Set<String> = []
            depth += 1
            defer { depth -= 1 }
            while let statement = try nextStatement(in: .server, seen: &seen) {
                switch statement.name {
                case "listen":
                    let endpoint = try listen(statement)
                    if listens.contains(endpoint) {
                        throw source.error(statement.line, "duplicate listen \(endpoint)")
                    }
                    listens.append(endpoint)
                    try listenOptions.add(statement, endpoint: endpoint, source: source)
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
                    let origin = source.origin(statement.line)
                    locations.append((match, try readLocation(), origin))
                case "types":
                    settings.types = try readTypes(over: settings.types)
                default:
                    let applied = try settings.apply(statement, from: source)
                    precondition(applied, "directive \(statement.name) admitted in server but not handled")
                }
            }
            // Resolved only at the end of the file: nginx merges after the whole configuration, so a value written
            // below a location still reaches it.
            return ServerDraft(listens: listens, names: names, timeouts: timeouts, settings: settings,
                               locations: locations, origin: origin, defaultRoot: source.absolute("html"))
        }

        private mutating func readLocation() throws(ConfigError) -> LocationSettings {
            var settings = LocationSettings()
            var seen: Set<String> = []
            depth += 1
            defer { depth -= 1 }
            while let statement = try nextStatement(in: .location, seen: &seen) {
                if statement.name == "types" {
                    settings.types = try readTypes(over: settings.types)
                    continue
                }
                let applied = try settings.apply(statement, from: source)
                precondition(applied, "directive \(statement.name) admitted in location but not handled")
            }
            return settings
        }

        private func listen(_ statement: ConfigStatement) throws(ConfigError) -> Endpoint {
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
        /// An `include` is carried out here: the directives of its files come next.
        private mutating func nextStatement(in context: ConfigContext, seen: inout Set<String>)
            throws(ConfigError) -> ConfigStatement?
        {
            var words: [String] = []
            var lines: [Int] = []
            while true {
                guard let token = try nextToken(midStatement: !words.isEmpty) else {
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
                    let statement = try checked(words, lines, opensBlock: false, at: token.line, in: context,
                                                seen: &seen)
                    guard statement.name == "include" else { return statement }
                    try include(statement.value, at: statement.argumentLines[0])
                    words.removeAll()
                    lines.removeAll()
                case .openBrace:
                    guard !words.isEmpty else { throw source.error(token.line, "unexpected \"{\"") }
                    return try checked(words, lines, opensBlock: true, at: token.line, in: context, seen: &seen)
                case .closeBrace:
                    guard words.isEmpty, context != .main, includedAt != depth else {
                        throw source.error(token.line, "unexpected \"}\"")
                    }
                    return nil
                }
            }
        }

        /// The next token; at the end of an included file, the next one of the include or the including file.
        /// nil at the end of the main file.
        private mutating func nextToken(midStatement: Bool) throws(ConfigError) -> ConfigToken? {
            while true {
                if let token = try lexer.next() { return token }
                guard let resume = resumes.popLast() else { return nil }
                // An included file holds whole directives and closes the blocks it opens.
                if midStatement {
                    throw source.error(lexer.line, "unexpected end of file, expecting \";\" or \"}\"")
                }
                if includedAt != depth { throw source.error(lexer.line, "unexpected end of file, expecting \"}\"") }
                lexer = resume.lexer
                source = resume.source
                chain = resume.chain
                includedAt = resume.includedAt
            }
        }

        /// `include FILE|GLOB;`: the files are read now and their tokens come next, in sorted order; a relative
        /// path resolves from the main configuration's directory.
        private mutating func include(_ written: String, at line: Int) throws(ConfigError) {
            let pattern = source.absolute(written)
            let paths: [String]
            switch IncludePattern.expand(pattern) {
            case .files(let found):
                paths = found
            case .wildcardInDirectory:
                throw source.error(line, "wildcards are only allowed in the file name of \"include\" \"\(written)\"")
            }
            guard chain.count < Self.maxIncludeDepth else {
                throw source.error(line, "too many nested includes (more than \(Self.maxIncludeDepth))")
            }
            var inputs: [Input] = []
            for path in paths {
                if chain.contains(path) {
                    throw source.error(line, "include cycle: \"\(path)\" is already being read")
                }
                let bytes: [UInt8]
                do {
                    bytes = try files.read(path, what: "cannot read included file \"\(path)\"")
                } catch {
                    throw source.error(line, error.message)
                }
                let included = ConfigSource(file: path, directory: source.directory, searchPath: source.searchPath)
                inputs.append(Input(lexer: ConfigLexer(bytes: bytes, file: path), source: included,
                                    chain: chain + [path], includedAt: depth))
            }
            guard let first = inputs.first else { return }
            resumes.append(Input(lexer: lexer, source: source, chain: chain, includedAt: includedAt))
            resumes.append(contentsOf: inputs.dropFirst().reversed())
            lexer = first.lexer
            source = first.source
            chain = first.chain
            includedAt = first.includedAt
        }

        /// `types { type ext...; ... }` (its lines may come from an `include`, as nginx's mime.types does): a
        /// new table over the earlier blocks of the same level, replacing the inherited one.
        private mutating func readTypes(over earlier: MIMETable?) throws(ConfigError) -> MIMETable {
            depth += 1
            defer { depth -= 1 }
            var pairs: [(type: String, extensions: [String])] = []
            var words: [String] = []
            var lines: [Int] = []
            while true {
                guard let token = try nextToken(midStatement: !words.isEmpty) else {
                    throw source.error(lexer.line, "unexpected end of file, expecting \"}\"")
                }
                switch token.kind {
                case .word(let word):
                    words.append(word)
                    lines.append(token.line)
                case .semicolon:
                    guard !words.isEmpty else { throw source.error(token.line, "unexpected \";\"") }
                    if words[0] == "include" {
                        guard words.count == 2 else {
                            throw source.error(lines[0], "invalid number of arguments in \"include\" directive")
                        }
                        try include(words[1], at: lines[1])
                    } else {
                        pairs.append((words[0], Array(words.dropFirst())))
                    }
                    words.removeAll()
                    lines.removeAll()
                case .openBrace:
                    throw source.error(token.line, "unexpected \"{\"")
                case .closeBrace:
                    guard words.isEmpty, includedAt != depth else {
                        throw source.error(token.line, "unexpected \"}\"")
                    }
                    return MIMETable(types: pairs, over: earlier)
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
