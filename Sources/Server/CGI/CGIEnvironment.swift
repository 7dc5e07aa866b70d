#if canImport(Glibc)
import Glibc
#endif

/// Everything a CGI child's environment is made from; `variables` turns it into "NAME=value" (RFC 3875 §4.1).
struct CGIEnvironment {
    var request: RoutedRequest
    var script: CGIScript
    var remoteAddress: String
    /// 0 when unknown (a proxy named the client without its port): REMOTE_PORT is then empty, as nginx's.
    var remotePort: UInt16
    /// The client reached us over TLS (through a proxy that said so): `HTTPS=on`, scheme `https`.
    var https = false
    /// The address and port the connection arrived on (SERVER_ADDR, SERVER_PORT).
    var serverAddress: String
    var serverPort: UInt16
    var serverName: String
    /// Bytes the script will read on stdin, counted after de-chunking; nil when the request has no body.
    var bodyLength: Int?
    /// Set when the server itself authenticated the request (RFC 3875 §4.1.1, §4.1.11).
    var authType: String? = nil
    var remoteUser: String? = nil
    var documentRoot: String
    /// The server's own PATH: the only variable inherited, so that scripts can find their tools.
    var searchPath: String? = nil

    /// The environment, one "NAME=value" per variable, no name twice: the meta-variables in a fixed order, then
    /// one HTTP_* per request header name in order of first appearance. Pure: the same input, the same output.
    func variables() -> [String] {
        let head = request.head
        let pathInfo: String
        switch request.location.cgiPathInfo {
        case .fullPath: pathInfo = request.target.path  // the brief: "use the full path as PATH_INFO"
        case .extra: pathInfo = script.extraPath
        }
        var out: [String] = []
        out.reserveCapacity(32 + head.headers.count)
        func set(_ name: String, _ value: String) { out.append(name + "=" + value) }

        // RFC 3875 §4.1: a variable without a value is set to "" rather than left out, so that scripts (and
        // the 42 tester) find every name the brief lists.
        set("AUTH_TYPE", authType ?? "")
        // §4.1.2: only a request with a body has a length; a body of zero bytes says "0".
        set("CONTENT_LENGTH", bodyLength.map { String($0) } ?? "")
        set("CONTENT_TYPE", head.headers["Content-Type"] ?? "")
        set("GATEWAY_INTERFACE", "CGI/1.1")
        set("PATH_INFO", pathInfo)
        // §4.1.6: PATH_INFO mapped as a document path; not set (here: empty) when PATH_INFO is empty.
        set("PATH_TRANSLATED", pathInfo.isEmpty ? "" : CGIEnvironment.joined(documentRoot, pathInfo))
        set("QUERY_STRING", request.target.query)
        set("REMOTE_ADDR", remoteAddress)
        set("REMOTE_IDENT", "")  // §4.1.10: no RFC 1413 lookups.
        set("REMOTE_USER", remoteUser ?? "")
        set("REQUEST_METHOD", head.methodToken)
        set("SCRIPT_NAME", script.scriptName)
        set("SERVER_NAME", serverName)
        set("SERVER_PORT", String(serverPort))
        set("SERVER_PROTOCOL", "HTTP/\(head.version.major).\(head.version.minor)")
        set("SERVER_SOFTWARE", "webserv")
        // Not RFC 3875, but what php-cgi and common scripts look for.
        set("REQUEST_URI", head.target)
        set("SCRIPT_FILENAME", script.filePath)
        set("REDIRECT_STATUS", "200")  // php-cgi refuses to run without it (cgi.force_redirect)
        set("DOCUMENT_ROOT", documentRoot)
        set("REMOTE_PORT", remotePort == 0 ? "" : String(remotePort))
        set("SERVER_ADDR", serverAddress)
        set("REQUEST_SCHEME", https ? "https" : "http")
        if https { set("HTTPS", "on") }
        if let searchPath { set("PATH", searchPath) }

        appendHeaderVariables(to: &out)
        return out
    }

    /// §4.1.18: each header as HTTP_NAME, values of one name joined in arrival order.
    private func appendHeaderVariables(to out: inout [String]) {
        // Names are few; a linear search keeps the first-appearance order without a second structure.
        var names: [String] = []
        var values: [String] = []
        let passesAuthorization = request.location.authRealm == nil
        request.head.headers.forEach { name, value in
            guard let variable = CGIEnvironment.variableName(forHeader: name) else { return }
            switch variable {
            case "HTTP_CONTENT_LENGTH", "HTTP_CONTENT_TYPE":
                return  // §4.1.18: given as CONTENT_LENGTH and CONTENT_TYPE only.
            case "HTTP_PROXY":
                return  // httpoxy (CVE-2016-5385): HTTP_PROXY would be read as the proxy of the script's own requests.
            case "HTTP_TRANSFER_ENCODING":
                return  // the script reads a de-chunked body of CONTENT_LENGTH bytes, whatever the client sent.
            case "HTTP_AUTHORIZATION" where !passesAuthorization:
                // §4.1.18 says SHOULD NOT pass credentials: where webserv checks them (auth_basic) the script
                // gets AUTH_TYPE and REMOTE_USER, never the password. Elsewhere nobody but the script can
                // authenticate (PHP's PHP_AUTH_USER), so it gets the header, as nginx and php-fpm do.
                return
            default:
                break
            }
            if let index = names.firstIndex(of: variable) {
                // RFC 9110 §5.3 joins repeated fields with ","; RFC 6265 §5.4 joins cookies with "; ".
                values[index] += (variable == "HTTP_COOKIE" ? "; " : ", ") + value
            } else {
                names.append(variable)
                values.append(value)
            }
        }
        for (name, value) in zip(names, values) { out.append(name + "=" + value) }
    }

    /// "HTTP_" + the name upper-cased with "-" as "_"; nil for a name with any byte outside [A-Za-z0-9-]: an
    /// "_" would let `X_Forwarded_For` pose as `X-Forwarded-For`, and other bytes make names shells choke on.
    static func variableName(forHeader name: String) -> String? {
        var bytes = Array("HTTP_".utf8)
        bytes.reserveCapacity(5 + name.utf8.count)
        for byte in name.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"): bytes.append(byte - 0x20)
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): bytes.append(byte)
            case UInt8(ascii: "-"): bytes.append(UInt8(ascii: "_"))
            default: return nil
            }
        }
        return bytes.count > 5 ? String(decoding: bytes, as: UTF8.self) : nil
    }

    /// DOCUMENT_ROOT for a location: its `root`, or its `alias` (nginx's `$document_root` in both cases).
    static func documentRoot(of location: Location) -> String {
        switch location.source {
        case .root(let directory), .alias(let directory): return directory
        }
    }

    /// SERVER_NAME (RFC 3875 §4.1.14): the host the client asked for, without its port, else the server
    /// block's first plain name, else the local address.
    static func serverName(for request: RoutedRequest, localAddress: String) -> String {
        if let host = request.target.authority ?? request.head.headers["Host"], !host.isEmpty {
            return hostWithoutPort(host)
        }
        if let name = request.server.names.first(where: { !$0.contains("*") }) { return name }
        return localAddress
    }

    /// The server's own PATH (getenv), read once at the call.
    static func inheritedSearchPath() -> String? {
        getenv("PATH").map { String(cString: $0) }
    }

    /// "example.com:8080" → "example.com", "[::1]:8080" → "[::1]".
    private static func hostWithoutPort(_ host: String) -> String {
        let bytes = Array(host.utf8)
        guard let colon = bytes.lastIndex(of: UInt8(ascii: ":")) else { return host }
        if bytes.first == UInt8(ascii: "["), let close = bytes.lastIndex(of: UInt8(ascii: "]")), close > colon {
            return host
        }
        return String(decoding: bytes[..<colon], as: UTF8.self)
    }

    /// `base` + `path` with one "/" between them.
    private static func joined(_ base: String, _ path: String) -> String {
        var base = Substring(base)
        while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
        if base == "/" { return path }
        return base + path
    }
}
