/// The per-location directives one block sets (nil = not set here), so a `location` can be laid over the
/// server's values and then over the built-in defaults.
struct LocationSettings {
    enum Auth: Equatable {
        case off
        case realm(String)
    }

    var root: String?
    var alias: String?
    var index: [String]?
    var autoindex: Bool?
    var autoindexExactSize: Bool?
    var autoindexFormat: Location.ListingFormat?
    var defaultLanguage: String?
    /// `.some(nil)` for `charset off`.
    var charset: String??
    var errorPages: [Int: String]?
    var clientMaxBodySize: Int?
    var allowedMethods: Set<Method>?
    var redirect: Location.Redirect?
    var cgi: [String: String]?
    var cgiTimeout: Duration?
    var cgiPathInfo: Location.CGIPathInfo?
    var uploadStore: String?
    var uploadStoreLine: Int?
    var clientBodyTempPath: String?
    var clientBodyTempPathLine: Int?
    var auth: Auth?
    var authUserFile: String?
    /// A `types { }` block's table (several blocks in one level add up).
    var types: MIMETable?
    /// `default_type`, as a header value.
    var defaultType: String?
    var statusPage: Location.StatusPage?
    var gzipStatic: Bool?

    /// Records one directive of this block; false when it is not a per-location directive.
    mutating func apply(_ statement: ConfigStatement, from source: ConfigSource) throws(ConfigError) -> Bool {
        let name = statement.name
        switch name {
        case "root":
            if alias != nil {
                throw source.error(statement.line,
                                   "\"root\" directive is duplicate, \"alias\" directive was specified earlier")
            }
            root = source.absolute(statement.value)
        case "alias":
            if root != nil {
                throw source.error(statement.line,
                                   "\"alias\" directive is duplicate, \"root\" directive was specified earlier")
            }
            // The trailing slash is kept: `location /i/ { alias /data/; }` maps /i/a to /data/a.
            alias = source.absolute(statement.value, keepTrailingSlash: true)
        case "index":
            for (file, line) in zip(statement.arguments, statement.argumentLines) where file.isEmpty {
                throw source.error(line, "index \"\(file)\" in \"index\" directive is invalid")
            }
            index = (index ?? []) + statement.arguments
        case "autoindex":
            autoindex = try Self.flag(statement, source: source, on: "on", off: "off")
        case "autoindex_exact_size":
            autoindexExactSize = try Self.flag(statement, source: source, on: "on", off: "off")
        case "autoindex_format":
            autoindexFormat = try Self.flag(statement, source: source, on: "json", off: "html") ? .json : .html
        case "default_language":
            guard Self.isLanguageTag(statement.value) else {
                throw source.error(statement.argumentLines[0], "invalid language tag \"\(statement.value)\"")
            }
            defaultLanguage = statement.value.lowercased()
        case "charset":
            let name = statement.value
            guard !name.isEmpty, name.utf8.allSatisfy(Self.isCharsetByte) else {
                throw source.error(statement.argumentLines[0], "invalid charset \"\(name)\"")
            }
            charset = .some(name == "off" ? nil : name.lowercased())
        case "error_page":
            errorPages = try Self.errorPages(statement, adding: errorPages ?? [:], source: source)
        case "client_max_body_size":
            guard let size = ConfigValues.size(statement.value) else {
                throw source.error(statement.line, "invalid size \"\(statement.value)\"")
            }
            clientMaxBodySize = size
        case "allow_methods":
            var methods: Set<Method> = []
            for (token, line) in zip(statement.arguments, statement.argumentLines) {
                guard let method = Method(rawValue: token) else {
                    throw source.error(line, "unknown method \"\(token)\"")
                }
                methods.insert(method)
            }
            allowedMethods = methods
        case "return":
            redirect = try Self.redirect(statement, source: source)
        case "cgi":
            let (extensionName, program) = (statement.arguments[0], statement.arguments[1])
            guard extensionName.hasPrefix("."), extensionName.utf8.count > 1 else {
                throw source.error(statement.argumentLines[0],
                                   "invalid extension \"\(extensionName)\" in \"cgi\" directive, "
                                       + "it must start with \".\"")
            }
            var handlers = cgi ?? [:]
            if handlers[extensionName] != nil {
                throw source.error(statement.argumentLines[0], "duplicate extension \"\(extensionName)\" in "
                                       + "\"cgi\" directive")
            }
            handlers[extensionName] = source.interpreter(program)
            cgi = handlers
        case "cgi_timeout":
            cgiTimeout = try Self.duration(statement, source: source)
        case "cgi_path_info":
            cgiPathInfo = try Self.flag(statement, source: source, on: "full", off: "extra") ? .fullPath : .extra
        case "upload_store":
            uploadStore = source.absolute(statement.value)
            uploadStoreLine = statement.line
        case "client_body_temp_path":
            clientBodyTempPath = source.absolute(statement.value)
            clientBodyTempPathLine = statement.line
        case "auth_basic":
            auth = statement.value == "off" ? .off : .realm(statement.value)
        case "auth_basic_user_file":
            authUserFile = source.absolute(statement.value)
        case "default_type":
            defaultType = MIMETable.headerValue(statement.value)
        case "stub_status":
            statusPage = .stub
        case "cgi_status":
            statusPage = .cgi
        case "gzip_static":
            gzipStatic = try Self.flag(statement, source: source, on: "on", off: "off")
        default:
            return false
        }
        return true
    }

    /// The effective location: this block's values, else the server's (`inherited`), else the defaults.
    func location(match: Location.Match, origin: String, inheriting inherited: LocationSettings,
                  defaultRoot: String) -> Location
    {
        let source: Location.Source
        if let alias {
            source = .alias(alias)
        } else {
            source = .root(root ?? inherited.root ?? defaultRoot)
        }
        var location = Location(match: match, source: source)
        location.index = index ?? inherited.index ?? location.index
        location.autoindex = autoindex ?? inherited.autoindex ?? location.autoindex
        location.autoindexExactSize = autoindexExactSize ?? inherited.autoindexExactSize ?? location.autoindexExactSize
        location.autoindexFormat = autoindexFormat ?? inherited.autoindexFormat ?? location.autoindexFormat
        location.defaultLanguage = defaultLanguage ?? inherited.defaultLanguage
        location.charset = charset ?? inherited.charset ?? nil
        location.errorPages = errorPages ?? inherited.errorPages ?? location.errorPages
        location.clientMaxBodySize = clientMaxBodySize ?? inherited.clientMaxBodySize ?? location.clientMaxBodySize
        location.allowedMethods = allowedMethods ?? inherited.allowedMethods ?? location.allowedMethods
        location.redirect = redirect ?? inherited.redirect
        location.cgi = cgi ?? inherited.cgi ?? location.cgi
        location.cgiTimeout = cgiTimeout ?? inherited.cgiTimeout ?? location.cgiTimeout
        location.cgiPathInfo = cgiPathInfo ?? inherited.cgiPathInfo ?? location.cgiPathInfo
        location.uploadStore = uploadStore ?? inherited.uploadStore
        if case .realm(let realm) = auth ?? inherited.auth ?? .off { location.authRealm = realm }
        location.authUserFile = authUserFile ?? inherited.authUserFile
        location.mimeTypes = types ?? inherited.types ?? location.mimeTypes
        location.defaultType = defaultType ?? inherited.defaultType ?? location.defaultType
        location.statusPage = statusPage ?? inherited.statusPage
        location.gzipStatic = gzipStatic ?? inherited.gzipStatic ?? location.gzipStatic
        location.origin = origin
        location.bodyTemporaries = bodyTemporaries(of: location, inheriting: inherited)
        return location
    }

    /// Where the location's bodies wait: `client_body_temp_path`, else a hidden directory in the destination.
    private func bodyTemporaries(of location: Location, inheriting inherited: LocationSettings) -> BodyTemporaries? {
        guard location.storesBodies else { return nil }
        let destination = location.bodyDestination
        if let path = clientBodyTempPath ?? inherited.clientBodyTempPath {
            return BodyTemporaries(path: path, destination: destination, isConfigured: true,
                                   line: clientBodyTempPathLine ?? inherited.clientBodyTempPathLine)
        }
        let directory = destination.hasSuffix("/") ? String(destination.dropLast()) : destination
        return BodyTemporaries(path: directory + "/" + BodyTemporaries.defaultName, destination: destination,
                               isConfigured: false,
                               line: location.uploadStore == nil ? nil : uploadStoreLine ?? inherited.uploadStoreLine)
    }

    /// RFC 2978's `mime-charset` characters (letters, digits and `!#$%&'+-^_`{}~`).
    private static func isCharsetByte(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            || "!#$%&'+-^_`{}~".utf8.contains(byte)
    }

    /// Subtags of 1 to 8 letters or digits joined by "-", the first made of letters (RFC 5646's shape).
    private static func isLanguageTag(_ tag: String) -> Bool {
        let subtags = tag.split(separator: "-", omittingEmptySubsequences: false)
        return subtags.enumerated().allSatisfy { index, subtag in
            (1...8).contains(subtag.utf8.count) && subtag.unicodeScalars.allSatisfy {
                $0.isASCII && ($0.properties.isAlphabetic || (index > 0 && ("0"..."9").contains($0)))
            }
        }
    }

    /// A two-valued switch: true for `on`, false for `off`, anything else an error naming both.
    static func flag(_ statement: ConfigStatement, source: ConfigSource, on: String, off: String)
        throws(ConfigError) -> Bool
    {
        switch statement.value {
        case on: return true
        case off: return false
        default:
            throw source.error(statement.argumentLines[0],
                               "invalid value \"\(statement.value)\" in \"\(statement.name)\" directive, "
                                   + "it must be \"\(on)\" or \"\(off)\"")
        }
    }

    static func duration(_ statement: ConfigStatement, source: ConfigSource) throws(ConfigError) -> Duration {
        guard let duration = ConfigValues.duration(statement.value) else {
            throw source.error(statement.argumentLines[0], "invalid time \"\(statement.value)\"")
        }
        return duration
    }

    private static func errorPages(_ statement: ConfigStatement, adding pages: [Int: String],
                                   source: ConfigSource) throws(ConfigError) -> [Int: String]
    {
        var pages = pages
        let uri = statement.arguments[statement.arguments.count - 1]
        for (code, line) in zip(statement.arguments.dropLast(), statement.argumentLines) {
            guard let status = ConfigValues.decimal(Substring(code)) else {
                throw source.error(line, "invalid value \"\(code)\"")
            }
            guard (300...599).contains(status) else {
                throw source.error(line, "value \"\(code)\" must be between 300 and 599")
            }
            pages[status] = uri
        }
        return pages
    }

    private static func redirect(_ statement: ConfigStatement, source: ConfigSource)
        throws(ConfigError) -> Location.Redirect
    {
        let first = statement.arguments[0]
        if statement.arguments.count == 1 && (first.hasPrefix("http://") || first.hasPrefix("https://")) {
            return Location.Redirect(status: 302, target: first)
        }
        guard let status = ConfigValues.decimal(Substring(first)), (100...599).contains(status) else {
            throw source.error(statement.argumentLines[0], "invalid return code \"\(first)\"")
        }
        let target = statement.arguments.count == 2 ? statement.arguments[1] : ""
        return Location.Redirect(status: status, target: target)
    }
}
