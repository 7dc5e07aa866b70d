import CSelect
#if canImport(Glibc)
import Glibc
#endif

/// Error responses: the location's `error_page` when it names a readable file, else the built-in HTML page
/// for the status; redirects and `return` texts, which are built the same way.
public struct ErrorPages {
    /// For the pages `error_page` names, found through the request's server and locations.
    let router: Router
    /// The type of every page the server writes itself.
    static let htmlType = "text/html; charset=utf-8"
    /// The built-in pages of the standard statuses as ready responses, built once, by code - 100.
    private static let ready: [Response?] = (100..<600).map { code in
        guard let status = Status.known[code] else { return nil }
        var response = Response(status: status, contentType: htmlType, body: .bytes(page(for: status)))
        response.framingLines = FramingLines(contentType: htmlType, contentLength: response.contentLength)
        return response
    }

    /// The ready response of a standard status with its standard reason phrase.
    private static func readyResponse(_ status: Status) -> Response? {
        guard status.code >= 100 && status.code < 600, let ready = ready[status.code - 100],
              ready.status.reason == status.reason else { return nil }
        return ready
    }

    /// The error page for `status`: the location's `error_page` when it names a readable file (served with
    /// the original status), else the built-in page.
    func response(_ status: Status, for request: RoutedRequest) -> Response {
        // Most locations name no page: the built-in one is then chosen without copying any settings.
        let isHead = request.method == .head
        if request.route.location.errorPages.isEmpty { return Self.builtIn(status, isHead: isHead) }
        return response(status, server: request.server, location: request.location, isHead: isHead)
    }

    /// For a request that could not be routed (unparsable): the pages of the endpoint's default server.
    func response(_ status: Status, arrivingOn local: Endpoint) -> Response {
        let server = router.server(forHost: nil, localEndpoint: local)
        return response(status, server: server, location: router.location(for: "/", in: server), isHead: false)
    }

    /// Right after open() or unlink() failed: permissions are the client's problem (403), running out of
    /// descriptors is ours and passes (503).
    func fileAccessFailure(for request: RoutedRequest) -> Response {
        let code = cselect_errno()
        return response(code == EACCES || code == EPERM ? .forbidden : .serviceUnavailable, for: request)
    }

    private func response(_ status: Status, server: VirtualServer, location: Location, isHead: Bool) -> Response {
        if let uri = location.errorPages[status.code] {
            if uri.hasPrefix("http://") || uri.hasPrefix("https://") {
                var response = Self.builtIn(.found)
                response.headers.append(("Location", uri))
                return Self.headOnly(response, isHead)
            }
            let pagePath = uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? uri
            let pageLocation = router.location(for: pagePath, in: server)
            if let fsPath = PathResolver.fileSystemPath(for: pagePath, in: pageLocation),
               case .regular(let identity) = FileInfo.lookUp(fsPath),
               var response = StaticFiles.fileResponse(fsPath, identity, status: status, isHead: isHead,
                                                           types: pageLocation.mimeTypes,
                                                           defaultType: pageLocation.defaultType) {
                response.lastModified = nil
                return response
            }
        }
        return Self.builtIn(status, isHead: isHead)
    }

    /// The built-in page for `status` as a response (a HEAD's without its body).
    private static func builtIn(_ status: Status, isHead: Bool) -> Response {
        var response = headOnly(builtIn(status), isHead)
        // RFC 9110 §10.2.3: a client told we are out of resources learns when to come back.
        if status == .serviceUnavailable { response.headers.append(("Retry-After", "1")) }
        return response
    }

    /// A `return` directive's answer: a redirect, or its text as the body (nginx sends it as text/plain).
    func response(to rule: Location.Redirect, for request: RoutedRequest) -> Response {
        let status = Status(code: rule.status)
        switch rule.status {
        case 301, 302, 303, 307, 308:
            return redirect(status, to: rule.target, for: request)
        default:
            let body = Array(rule.target.utf8)
            if status.code >= 400 && body.isEmpty { return response(status, for: request) }
            return Self.headAware(Response(status: status, contentType: "text/plain; charset=utf-8",
                                           body: .bytes(body)), for: request)
        }
    }

    /// The built-in page of `status` with a `Location` header.
    func redirect(_ status: Status, to location: String, for request: RoutedRequest) -> Response {
        var response = Self.builtIn(status)
        response.headers.append(("Location", location))
        return Self.headAware(response, for: request)
    }

    private static func builtIn(_ status: Status) -> Response {
        readyResponse(status) ?? Response(status: status, contentType: htmlType, body: .bytes(page(for: status)))
    }

    /// HEAD gets the GET headers without the body.
    static func headAware(_ response: Response, for request: RoutedRequest) -> Response {
        headOnly(response, request.method == .head)
    }

    private static func headOnly(_ response: Response, _ isHead: Bool) -> Response {
        guard isHead, case .bytes(let bytes) = response.body else { return response }
        var head = response
        head.body = .empty
        head.contentLength = bytes.count
        return head
    }
    /// The page for `status`. Pages of the standard statuses are built once and shared, since this runs on
    /// the error path of a server that may be under attack; a status with a non-standard reason phrase
    /// is built on each call.
    public static func defaultPage(for status: Status) -> [UInt8] {
        if let ready = readyResponse(status), case .bytes(let page) = ready.body { return page }
        return page(for: status)
    }

    /// One sentence for a visitor who does not know HTTP.
    static func explanation(for code: Int) -> String {
        switch code {
        case 300..<400: return "This page has moved."
        case 400: return "The server could not understand the request."
        case 401: return "This page needs you to sign in first."
        case 403: return "You do not have permission to see this page."
        case 404: return "The page you asked for is not here. Check the address, or go back to the home page."
        case 405: return "This kind of request is not allowed at this address."
        case 408: return "The request took too long to arrive, so the server stopped waiting."
        case 409: return "The request conflicts with the current state of the resource."
        case 411: return "The request needs a Content-Length header."
        case 412: return "A condition set by the request was not met."
        case 413: return "The request body is larger than this server accepts."
        case 414: return "The address is longer than this server accepts."
        case 415: return "The server does not accept this type of content here."
        case 416: return "The requested range lies outside the resource."
        case 431: return "The request headers are larger than this server accepts."
        case 500: return "Something went wrong on the server. Please try again later."
        case 501: return "The server does not support this request method."
        case 502: return "The server got an invalid answer from the program that builds this page."
        case 503: return "The server is busy right now. Please try again in a moment."
        case 504: return "The program that builds this page did not answer in time."
        case 505: return "The server does not support this version of HTTP."
        case 507: return "The server has no room left to store this."
        default:
            return code >= 500 ? "The server could not complete the request."
                : "The server could not handle the request as sent."
        }
    }

    /// The page for `status`, saying `explanation` (the standard sentence when nil), in the look of every
    /// built-in page (`PageStyle`).
    static func page(for status: Status, explanation: String? = nil) -> [UInt8] {
        let title = String(status.code) + " " + status.reason
        var out: [UInt8] = []
        out.reserveCapacity(1536)
        PageStyle.appendHead(title: title, to: &out)
        out.append(contentsOf: "<h1>".utf8)
        HTMLEscaping.append(title, to: &out)
        out.append(contentsOf: "</h1>\n<p>".utf8)
        if let explanation {
            HTMLEscaping.append(explanation, to: &out)
        } else {
            out.append(contentsOf: Self.explanation(for: status.code).utf8)
        }
        out.append(contentsOf: "</p>\n".utf8)
        PageStyle.appendFooter(to: &out)
        return out
    }
}
