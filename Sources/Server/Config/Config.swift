/// The whole configuration file, validated and with inheritance already applied:
/// every `Location` carries its effective settings, so request handling never looks further up.
public struct Config: Sendable {
    /// The file it was read from (absolute), for messages.
    public var sourcePath: String
    /// `server` blocks in file order. The first one listening on an endpoint is that endpoint's default.
    public var servers: [VirtualServer]
    /// `max_connections N;` at top level; nil = derived from the descriptor limit at start-up.
    public var maxConnections: Int?
    /// `access_log FILE|off;` at top level; nil = standard error.
    public var accessLog: LogTarget
    /// `error_log FILE;` at top level; default standard error.
    public var errorLog: LogTarget
    /// `shutdown_timeout T;` at top level: how long requests in flight may take to finish after SIGTERM.
    public var shutdownTimeout: Duration = .seconds(10)
    /// `limit_conn_per_client N|off;` at top level: connections one client address may hold at once (nil = off).
    public var limitConnPerClient: Int?
    /// `cgi_max_processes N;` at top level: CGI children alive at once; nil = sized to the machine at start-up.
    public var cgiMaxProcesses: Int?
    /// `cgi_queue_timeout T;` at top level: how long a request waits for a CGI slot before a 503.
    public var cgiQueueTimeout: Duration = .seconds(5)
    /// `io_buffer_memory SIZE;` at top level: the I/O buffer pool; nil = derived from the memory limits.
    public var ioBufferMemory: Int?
    /// The options of each `listen` address as written (`reuseport`, `proxy_protocol`); an address listed
    /// without options has an empty entry.
    public var listenOptions: [Endpoint: ListenOptions] = [:]
    /// `set_real_ip_from`, `real_ip_header` at top level: who may say who the client is.
    public var realIP = RealIPSettings()
    /// `pid FILE;` at top level (absolute): where the running server writes its process id, for `-s`.
    public var pidFile: String?

    public init(sourcePath: String, servers: [VirtualServer], maxConnections: Int? = nil,
                accessLog: LogTarget = .standardError, errorLog: LogTarget = .standardError) {
        self.sourcePath = sourcePath
        self.servers = servers
        self.maxConnections = maxConnections
        self.accessLog = accessLog
        self.errorLog = errorLog
    }
}

/// One `server { }` block.
public struct VirtualServer: Sendable {
    public var listens: [Endpoint]
    /// `server_name` entries as written, lower-cased: exact names, `*.suffix` or `prefix.*` wildcards.
    public var names: [String]
    /// Effective locations in file order; always contains at least a `/` prefix location
    /// (implicit when the file has none) carrying the server-level settings.
    public var locations: [Location]
    public var timeouts: Timeouts
    /// File and line of the `server` keyword, for messages.
    public var origin: String

    public init(listens: [Endpoint], names: [String], locations: [Location], timeouts: Timeouts = Timeouts(),
                origin: String = "") {
        self.listens = listens
        self.names = names
        self.locations = locations
        self.timeouts = timeouts
        self.origin = origin
    }
}

/// Deadlines of each phase of a connection (nginx names and defaults).
///
/// Every connection holds a copy, so each is kept in 32 bits of milliseconds (16 bytes where four Durations
/// take 64): a longer value is held as the longest, about 49 days, and a value under a millisecond is rounded
/// up, so that only zero means zero.
public struct Timeouts: Equatable, Sendable {
    private var keepaliveMilliseconds: UInt32 = 75_000
    private var clientHeaderMilliseconds: UInt32 = 60_000
    private var clientBodyMilliseconds: UInt32 = 60_000
    private var sendMilliseconds: UInt32 = 60_000

    public init() {}

    public var keepalive: Duration {
        get { Timeouts.duration(keepaliveMilliseconds) }
        set { keepaliveMilliseconds = Timeouts.milliseconds(newValue) }
    }
    public var clientHeader: Duration {
        get { Timeouts.duration(clientHeaderMilliseconds) }
        set { clientHeaderMilliseconds = Timeouts.milliseconds(newValue) }
    }
    public var clientBody: Duration {
        get { Timeouts.duration(clientBodyMilliseconds) }
        set { clientBodyMilliseconds = Timeouts.milliseconds(newValue) }
    }
    public var send: Duration {
        get { Timeouts.duration(sendMilliseconds) }
        set { sendMilliseconds = Timeouts.milliseconds(newValue) }
    }

    @inline(__always)
    private static func duration(_ milliseconds: UInt32) -> Duration { .milliseconds(Int64(milliseconds)) }

    private static func milliseconds(_ duration: Duration) -> UInt32 {
        guard duration > .zero else { return 0 }
        let (seconds, attoseconds) = duration.components
        guard seconds <= Int64(UInt32.max / 1000) else { return .max }
        let fraction = (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return UInt32(clamping: seconds * 1000 + fraction)
    }
}

/// A `location` block (or the server itself, as the implicit `/`), with every setting resolved.
public struct Location: Sendable {
    public enum Match: Equatable, Sendable {
        /// `location /images/ { }`: longest matching prefix wins.
        case prefix(String)
        /// `location = /favicon.ico { }`: exact path only, and wins over any prefix.
        case exact(String)
    }

    /// Where files come from: `root` appends the whole URI path; `alias` replaces the location's prefix.
    public enum Source: Equatable, Sendable {
        case root(String)
        case alias(String)
    }

    /// `return CODE URL;` or `return CODE "text";`
    public struct Redirect: Equatable, Sendable {
        public var status: Int
        /// A URL for 301/302/303/307/308, the body text otherwise.
        public var target: String

        public init(status: Int, target: String) {
            self.status = status
            self.target = target
        }
    }

    /// What a directory listing is written as.
    public enum ListingFormat: Equatable, Sendable {
        case html
        /// nginx's: an array of `{name, type, mtime, size}`.
        case json
    }

    /// A page about the server itself.
    public enum StatusPage: Equatable, Sendable {
        /// nginx's stub_status text: connections and requests.
        case stub
        /// CGI processes running and waiting, as JSON.
        case cgi
    }

    public enum CGIPathInfo: Equatable, Sendable {
        /// PATH_INFO is the full decoded request path (the brief's wording).
        case fullPath
        /// RFC 3875: PATH_INFO is what follows the script name.
        case extra
    }

    public var match: Match
    /// Absolute file-system path (relative paths in the file are resolved against the config's directory).
    public var source: Source
    public var index: [String] = ["index.html"]
    public var autoindex: Bool = false
    /// `autoindex_exact_size off`: listings show sizes rounded to K, M, G (nginx).
    public var autoindexExactSize: Bool = true
    /// `autoindex_format html|json` (nginx).
    public var autoindexFormat: ListingFormat = .html
    /// `default_language xx;` (lowercased): the variant served first when the client has no preference or
    /// accepts none of them; nil = the first tag in alphabetical order.
    public var defaultLanguage: String?
    /// `charset NAME;` (nginx): the charset files of `charset_types` are labelled with; nil = utf-8 on text.
    public var charset: String?
    /// Content-Type by extension (`types { }`, else the built-in table).
    public var mimeTypes: MIMETable = .builtIn
    /// `default_type TYPE;`: the Content-Type of a file the table does not know, as a header value.
    public var defaultType: String = MIMETypes.defaultType
    /// status code → URI served (with the original status) instead of the built-in page.
    public var errorPages: [Int: String] = [:]
    /// Bytes; 0 means unlimited.
    public var clientMaxBodySize: Int = 1 << 20
    /// Literal list: HEAD is allowed only when listed.
    public var allowedMethods: Set<Method> = [.get, .head]
    public var redirect: Redirect?
    /// File extension including the dot (".php") → interpreter path (absolute).
    public var cgi: [String: String] = [:]
    public var cgiTimeout: Duration = .seconds(30)
    public var cgiPathInfo: CGIPathInfo = .fullPath
    /// Absolute directory for uploads and PUT; nil = uploads not accepted here.
    public var uploadStore: String?
    /// Where this location's request bodies wait until complete; nil when it stores none.
    public var bodyTemporaries: BodyTemporaries?
    /// `auth_basic "Realm";` (nil = off) and `auth_basic_user_file FILE;` (absolute path).
    public var authRealm: String?
    public var authUserFile: String?
    /// The user file, read and checked when the configuration is loaded.
    public var authUsers: UserFile?
    /// What `stub_status;` or `cgi_status;` makes this location answer instead of files.
    public var statusPage: StatusPage?
    /// `gzip_static on;`: a client that takes gzip gets `FILE.gz` in place of `FILE` when it exists.
    public var gzipStatic = false
    /// File and line of the `location` keyword (or of the `server` for the implicit one).
    public var origin: String = ""

    public init(match: Match, source: Source) {
        self.match = match
        self.source = source
    }

    /// Whether request bodies become files here: an upload store, or PUT onto root or alias.
    public var storesBodies: Bool { uploadStore != nil || allowedMethods.contains(.put) }

    /// The directory files are written into: the upload store, else the root or alias (its directory when
    /// an exact location's alias names a file).
    public var bodyDestination: String {
        if let uploadStore { return uploadStore }
        switch source {
        case .root(let root):
            return root
        case .alias(let alias):
            guard case .exact = match, let slash = alias.utf8.lastIndex(of: UInt8(ascii: "/")) else { return alias }
            return slash == alias.utf8.startIndex ? "/" : String(alias[..<slash])
        }
    }

    /// The path the location matches on (prefix or exact).
    public var path: String {
        switch match {
        case .prefix(let p), .exact(let p): return p
        }
    }
}

/// Where request bodies wait until they are complete (nginx's `client_body_temp_path`): a directory no URL
/// maps to, on the filesystem of the files they become, since they are published with link() and rename().
public struct BodyTemporaries: Equatable, Sendable {
    /// Inside a destination by default; requests reaching a directory of this name are 404.
    public static let defaultName = ".webserv-tmp"

    /// Absolute; created 0700 at start-up.
    public var path: String
    /// The directory the bodies end up in, whose filesystem `path` must share.
    public var destination: String
    /// Set by `client_body_temp_path` rather than the default inside the destination.
    public var isConfigured: Bool
    /// Line of the directive that decided it (`client_body_temp_path` or `upload_store`), for start-up
    /// errors; nil for the default of a PUT location without a store, created when it can be.
    public var line: Int?

    public init(path: String, destination: String, isConfigured: Bool, line: Int?) {
        self.path = path
        self.destination = destination
        self.isConfigured = isConfigured
        self.line = line
    }
}
