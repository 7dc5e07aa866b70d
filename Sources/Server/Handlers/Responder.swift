/// Decides the response to a routed request in the order of checks: `OPTIONS *`, the hidden
/// temporaries, a location's missing trailing slash (`SlashRedirect`), authentication, `return`, the method (405 even on a missing file), CGI, preconditions, then
/// PUT, POST to a store and DELETE (`Uploads`) or the resource (`StaticFiles`). Error pages: `ErrorPages`.
final class Responder {
    let router: Router
    private let errorPages: ErrorPages
    private var authorization: Authorization
    private let staticFiles: StaticFiles
    private let uploads: Uploads
    /// The server's counters, for `stub_status` and `cgi_status`; outlives a configuration.
    let statistics: ServerStatistics

    /// `secretKey` keys the credential cache (the server's one key, drawn at start-up).
    init(router: Router, secretKey: SecretKey, statistics: ServerStatistics = ServerStatistics()) {
        self.router = router
        self.statistics = statistics
        errorPages = ErrorPages(router: router)
        authorization = Authorization(errorPages: errorPages, secretKey: secretKey)
        staticFiles = StaticFiles(errorPages: errorPages, temporaryAreas: router.temporaryAreas)
        uploads = Uploads(errorPages: errorPages, temporaryAreas: router.temporaryAreas)
    }

    /// How a request is answered: a response decided now, or a CGI script to run.
    enum Handling {
        case response(Response)
        /// Run `script`; `remoteUser` is the user authentication let through (REMOTE_USER).
        case cgi(CGIScript, remoteUser: String?)
        /// The body is stored in `directory` by way of `temporaries`: `uriBase` is the URI of `directory`,
        /// for the links in the answer; `seeOther`: a browser's form post, answered with 303.
        case upload(directory: String, temporaries: String, kind: UploadSink.Kind, uriBase: String, seeOther: Bool)
    }

    /// Decodes the target and picks server and location; throws 400 for a malformed target.
    func route(_ head: RequestHead, arrivingOn local: Endpoint) throws(HTTPError) -> RoutedRequest {
        try router.route(head, arrivingOn: local)
    }

    /// The ready answer to a plain GET of a hot file, before any routing (HotResponses); nil for anything else.
    func hotAnswer(to head: RequestHead, arrivingOn local: Endpoint, now: ContinuousClock.Instant)
        -> HotResponses.Answer? {
        staticFiles.hot.answer(for: head, arrivingOn: local, now: now)
    }

    /// The same before the head is built, from the positions the parser kept in `head`'s bytes.
    func hotAnswer(to get: PlainGet, in head: UnsafeRawBufferPointer, arrivingOn local: Endpoint,
                   now: ContinuousClock.Instant) -> HotResponses.Answer? {
        staticFiles.hot.answer(for: get, in: head, arrivingOn: local, now: now)
    }

    /// The server wrote files (an upload was published): no ready answer may be trusted any longer.
    func filesChanged() {
        staticFiles.filesChanged()
    }

    /// `client` is the peer's address: failed Basic-auth attempts are counted per address.
    func handle(_ request: RoutedRequest, from client: String) -> Handling {
        if request.target.path == "*" { return .response(serverWide(request)) }
        // Fields read from the shared route, not a copy of the whole location.
        let route = request.route
        // Bodies in flight are nobody's business, whatever the method: as if the directory did not exist.
        let redirects = route.location.redirect != nil
        if !redirects, router.temporaryAreas.hide(requestPath: request.target.path) {
            return .response(errorPages.response(.notFound, for: request))
        }
        if !redirects, let target = SlashRedirect.target(for: request, outside: router.temporaryAreas) {
            // RFC 9110 §15.4.9: 308 keeps the method and body; GET and HEAD get the 301 every client knows.
            let status: Status = request.method == .get || request.method == .head ? .movedPermanently
                : .permanentRedirect
            return .response(errorPages.redirect(status, to: target, for: request))
        }
        var user: String?
        // An open location (nearly every one) has no one to check.
        if !redirects, route.location.authRealm != nil {
            switch authorization.check(request, from: client) {
            case .allowed(let allowed): user = allowed
            case .denied(let response): return .response(response)
            }
        }
        guard !redirects, let method = request.method, route.allows(method) else {
            return .response(respond(to: request))
        }
        if let page = route.location.statusPage {
            guard method == .get || method == .head else {
                var response = errorPages.response(.methodNotAllowed, for: request)
                response.headers.append(("Allow", "GET, HEAD"))
                return .response(response)
            }
            return .response(StatusPages.response(page, statistics: statistics, for: request))
        }
        if !route.location.cgi.isEmpty, let script = CGIScript.find(for: request.target, location: route.location) {
            return runnable(script, user: user, for: request)
        }
        // A write is on its way: no ready answer may be served from here on (uploads drop them again when
        // their files are published).
        let storesUploads = route.location.uploadStore != nil
        if method == .put || method == .delete || (method == .post && storesUploads) {
            filesChanged()
        }
        if method == .put || method == .delete, let refused = uploads.failedPrecondition(for: request, method: method) {
            return .response(refused)
        }
        switch method {
        case .put:
            return uploads.putTarget(for: request)
        case .post where storesUploads:
            return uploads.postTarget(for: request)
        case .delete:
            return .response(uploads.delete(for: request))
        default:
            return .response(respond(to: request))
        }
    }

    private func runnable(_ script: CGIScript, user: String?, for request: RoutedRequest) -> Handling {
        switch FileInfo.lookUp(script.filePath) {
        case .regular:
            return .cgi(script, remoteUser: user)
        case .notFound:
            return .response(errorPages.response(.notFound, for: request))
        case .forbidden:
            return .response(errorPages.response(.forbidden, for: request))
        case .directory:
            return .response(respond(to: request))
        }
    }

    /// What needs no body and no CGI: `return`, 405/501, OPTIONS, or the resource.
    private func respond(to request: RoutedRequest) -> Response {
        let route = request.route
        if let redirect = route.location.redirect {
            return errorPages.response(to: redirect, for: request)
        }
        guard let method = request.method else {
            return errorPages.response(.notImplemented, for: request)
        }
        guard route.allows(method) else {
            var response = errorPages.response(.methodNotAllowed, for: request)
            response.headers.append(("Allow", allowHeader(route)))
            return response
        }
        switch method {
        case .options:
            var response = Response(status: .noContent)
            response.headers.append(("Allow", allowHeader(route)))
            return response
        case .get, .head, .post:
            if method != .post, let page = uploads.resultPage(for: request) { return page }
            // A POST that reaches no CGI or upload store is answered as a GET (issue 3's rule).
            return staticFiles.response(for: request)
        case .put, .delete, .trace, .connect, .patch:
            // PUT and DELETE are handled before this (handle(_:from:)); the others are not implemented.
            return errorPages.response(.notImplemented, for: request)
        }
    }

    /// RFC 9110 §9.3.7: `OPTIONS *` asks about the server, not a resource: no location's rules apply (its
    /// methods, redirect or authentication), and the answer lists every method some location allows that
    /// webserv implements, plus OPTIONS itself. `*` is a valid target for OPTIONS only.
    private func serverWide(_ request: RoutedRequest) -> Response {
        guard let method = request.method else { return errorPages.response(.notImplemented, for: request) }
        guard method == .options else { return errorPages.response(.badRequest, for: request) }
        var methods: Set<Method> = [.options]
        for location in request.server.locations { methods.formUnion(location.allowedMethods) }
        let implemented: [Method] = [.get, .head, .post, .put, .delete, .options]
        var response = Response(status: .noContent)
        response.headers.append(("Allow", implemented.filter(methods.contains).map(\.name).joined(separator: ", ")))
        return response
    }

    private func allowHeader(_ route: Route) -> String {
        Method.allCases.filter(route.allows).map(\.name).joined(separator: ", ")
    }

    // What the connection asks for once a request is decided.

    /// The error page for `status`: the location's `error_page` when it names a readable file, else built in.
    func errorResponse(_ status: Status, for request: RoutedRequest) -> Response {
        errorPages.response(status, for: request)
    }

    /// For a request that could not be routed (unparsable): the pages of the endpoint's default server.
    func errorResponse(_ status: Status, arrivingOn local: Endpoint) -> Response {
        errorPages.response(status, arrivingOn: local)
    }

    /// The answer once an upload's files are in place.
    func uploadResponse(_ stored: [UploadSink.StoredFile], uriBase: String, isPut: Bool, seeOther: Bool) -> Response {
        uploads.response(stored, uriBase: uriBase, isPut: isPut, seeOther: seeOther)
    }

    /// Remembers a small file read completely through select(), so the next hit needs no open().
    func fileWasRead(_ bytes: [UInt8], from file: FileBody) {
        staticFiles.fileWasRead(bytes, from: file)
    }
}
