import CSelect
#if canImport(Glibc)
import Glibc
#endif

/// Decides the response to a routed request: redirect, method checks, then the resource
/// (file, index, listing) or an error page. The order of checks is the issue's:
/// route → return → method → resource, so a disallowed method is 405 even on a missing file.
final class Responder {
    let router: Router
    private var fileCache = FileCache()
    private var listingCache = ListingCache()
    private var variantIndex = VariantIndex()
    private var credentialCache: CredentialCache

    /// `secretKey` keys the credential cache (the server's one key, drawn at start-up).
    init(router: Router, secretKey: SecretKey) {
        self.router = router
        credentialCache = CredentialCache(key: secretKey)
    }

    /// Decodes the target and picks server and location; throws 400 for a malformed target.
    func route(_ head: RequestHead, arrivingOn local: Endpoint) throws(HTTPError) -> RoutedRequest {
        try router.route(head, arrivingOn: local)
    }

    /// How a request is answered: a response decided now, or a CGI script to run.
    enum Handling {
        case response(Response)
        case cgi(CGIScript)
        /// The body is stored in `directory` by way of `temporaries`: `uriBase` is the URI of `directory`,
        /// for the links in the answer.
        case upload(directory: String, temporaries: String, kind: UploadSink.Kind, uriBase: String)
    }

    /// `client` is the peer's address: failed Basic-auth attempts are counted per address.
    func handle(_ request: RoutedRequest, from client: String) -> Handling {
        if request.target.path == "*" { return .response(serverWide(request)) }
        let location = request.location
        // Bodies in flight are nobody's business, whatever the method: as if the directory did not exist.
        if location.redirect == nil, router.temporaryAreas.hide(requestPath: request.target.path) {
            return .response(errorResponse(.notFound, for: request))
        }
        if location.redirect == nil, let denied = authorizationFailure(for: request, from: client) {
            return .response(denied)
        }
        guard location.redirect == nil, let method = request.method, location.allowedMethods.contains(method)
        else { return .response(respond(to: request)) }
        if !location.cgi.isEmpty, let script = CGIScript.find(for: request.target, location: location) {
            return runnable(script, for: request)
        }
        if method == .put || method == .delete, let refused = failedPrecondition(for: request, method: method) {
            return .response(refused)
        }
        switch method {
        case .put:
            // RFC 9110 §14.5: a partial PUT must not be taken for the whole representation.
            if request.head.headers.contains("content-range") {
                return .response(errorResponse(.badRequest, for: request))
            }
            return putTarget(for: request)
        case .post where location.uploadStore != nil:
            return postTarget(for: request)
        case .delete:
            return .response(delete(for: request))
        default:
            return .response(respond(to: request))
        }
    }

    private func runnable(_ script: CGIScript, for request: RoutedRequest) -> Handling {
        switch FileInfo.lookUp(script.filePath) {
        case .regular:
            return .cgi(script)
        case .notFound:
            return .response(errorResponse(.notFound, for: request))
        case .forbidden:
            return .response(errorResponse(.forbidden, for: request))
        case .directory:
            return .response(respond(to: request))
        }
    }

    // MARK: Uploads and DELETE

    /// Where writes and deletes go: the upload store when the location has one (the path after the location's
    /// prefix, inside it), else the file the path names under root or alias. Never outside either.
    private func writablePath(for request: RoutedRequest) -> String? {
        var location = request.location
        if let store = location.uploadStore {
            location.source = .alias(store)
            if case .exact(let path) = location.match { location.match = .prefix(path) }
        }
        return PathResolver.reachablePath(for: request.target, in: location, outside: router.temporaryAreas)
    }

    /// RFC 9110 §13.1: If-Match, If-None-Match and If-Unmodified-Since are checked before a PUT or DELETE
    /// acts, against the file as it is now (or its absence).
    private func failedPrecondition(for request: RoutedRequest, method: Method) -> Response? {
        let headers = request.head.headers
        guard headers.contains("if-match") || headers.contains("if-none-match")
                || headers.contains("if-unmodified-since") else { return nil }
        var current: Validators?
        if let path = writablePath(for: request), case .regular(let identity) = FileInfo.lookUp(path) {
            current = Validators(etag: Conditional.etag(for: identity), lastModified: identity.modifiedSeconds)
        }
        guard Conditional.evaluate(headers, method: method, current: current) != .proceed else { return nil }
        return errorResponse(.preconditionFailed, for: request)
    }

    private func putTarget(for request: RoutedRequest) -> Handling {
        guard let path = writablePath(for: request) else { return .response(errorResponse(.notFound, for: request)) }
        let (directory, name) = split(path)
        guard !name.isEmpty, !request.target.path.hasSuffix("/") else {
            return .response(errorResponse(.conflict, for: request))
        }
        switch FileInfo.lookUp(directory) {
        case .directory: break
        case .forbidden: return .response(errorResponse(.forbidden, for: request))
        case .regular, .notFound: return .response(errorResponse(.conflict, for: request))
        }
        if case .directory = FileInfo.lookUp(path) { return .response(errorResponse(.conflict, for: request)) }
        guard let temporaries = request.location.bodyTemporaries?.path else {
            return .response(errorResponse(.internalServerError, for: request))
        }
        return .upload(directory: directory, temporaries: temporaries, kind: .put(name: name),
                       uriBase: uriDirectory(of: request.target.path))
    }

    private func postTarget(for request: RoutedRequest) -> Handling {
        guard let path = writablePath(for: request) else { return .response(errorResponse(.notFound, for: request)) }
        var directory = path
        var name = ""
        // A directory (with or without its slash) receives new files; otherwise the path names the new file.
        if case .directory = FileInfo.lookUp(path) {
        } else {
            (directory, name) = split(path)
            guard case .directory = FileInfo.lookUp(directory) else {
                return .response(errorResponse(.notFound, for: request))
            }
        }
        let uriBase = name.isEmpty ? slashed(request.target.path) : uriDirectory(of: request.target.path)
        guard let temporaries = request.location.bodyTemporaries?.path else {
            return .response(errorResponse(.internalServerError, for: request))
        }
        let contentType = request.head.headers["content-type"] ?? ""
        if MultipartParser.isFormData(contentType: contentType) {
            guard let boundary = MultipartParser.boundary(fromContentType: contentType) else {
                return .response(errorResponse(.badRequest, for: request))
            }
            return .upload(directory: directory, temporaries: temporaries, kind: .multipart(boundary: boundary),
                           uriBase: uriBase)
        }
        if name.isEmpty {
            uploadCounter += 1
            name = "upload-\(time(nil))-\(uploadCounter)"
        }
        return .upload(directory: directory, temporaries: temporaries, kind: .raw(name: name), uriBase: uriBase)
    }

    private var uploadCounter = 0

    /// The answer once an upload's files are in place: 201 with the first file's `Location` and a page
    /// linking every stored file; a PUT that replaced a file is 204; a form without any file is 400.
    func uploadResponse(_ stored: [UploadSink.StoredFile], uriBase: String, isPut: Bool) -> Response {
        if isPut, let file = stored.first, file.replaced {
            return Response(status: .noContent)
        }
        if stored.isEmpty {
            // Only a form can store nothing: a browser sends one when its file input was left empty.
            let page = ErrorPages.page(for: .badRequest, explanation: "No file was chosen: the form was sent "
                                           + "without any file to upload. Choose a file, then send the form again.")
            return Response(status: .badRequest, contentType: htmlType, body: .bytes(page))
        }
        var html = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>201 Created</title></head><body>\n"
        html += "<h1>Stored \(stored.count) file\(stored.count == 1 ? "" : "s")</h1>\n<ul>\n"
        for file in stored {
            let href = PercentEncoding.encodePath(uriBase) + PercentEncoding.encodeSegment(file.name)
            html += "<li><a href=\"\(href)\">\(HTMLEscaping.escape(file.name))</a></li>\n"
        }
        html += "</ul>\n</body></html>\n"
        var response = Response(status: .created, contentType: htmlType, body: .bytes(Array(html.utf8)))
        if let first = stored.first {
            response.headers.append(("Location", PercentEncoding.encodePath(uriBase) + PercentEncoding.encodeSegment(first.name)))
        }
        return response
    }

    private func delete(for request: RoutedRequest) -> Response {
        guard let path = writablePath(for: request) else { return errorResponse(.notFound, for: request) }
        switch FileInfo.lookUp(path) {
        case .notFound:
            return errorResponse(.notFound, for: request)
        case .directory:
            return errorResponse(.conflict, for: request)
        case .forbidden:
            return errorResponse(.forbidden, for: request)
        case .regular:
            guard unlink(path) == 0 else {
                return errorResponse(openFailureStatus(), for: request)
            }
            return Response(status: .noContent)
        }
    }

    private func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return (".", path) }
        return (String(path[..<slash]), String(path[path.utf8.index(after: slash)...]))
    }

    private func uriDirectory(of path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "/" }
        return String(path[...slash])
    }

    private func slashed(_ path: String) -> String { path.hasSuffix("/") ? path : path + "/" }

    // MARK: Authentication

    /// nil when the location is open or the request carries valid Basic credentials (RFC 7617); else the
    /// 401 with its challenge. Checked after `return` and before the method, as nginx's access phase.
    private func authorizationFailure(for request: RoutedRequest, from client: String) -> Response? {
        guard let realm = request.location.authRealm else { return nil }
        guard let users = request.location.authUsers else {
            return errorResponse(.internalServerError, for: request)
        }
        if let field = request.head.headers["authorization"],
           let credentials = BasicAuth.credentials(fromAuthorization: field) {
            switch credentialCache.check(credentials, against: users, from: client, now: ContinuousClock.now) {
            case .allowed:
                return nil
            case .throttled(let seconds):
                // RFC 6585 §4: too many failed attempts from this address; no crypt() is run for it meanwhile.
                var response = errorResponse(.tooManyRequests, for: request)
                response.headers.append(("Retry-After", String(seconds)))
                return response
            case .refused:
                break
            }
        }
        var response = errorResponse(.unauthorized, for: request)
        response.headers.append(("WWW-Authenticate", BasicAuth.challenge(realm: realm)))
        return response
    }

    /// The authenticated user of a request (for REMOTE_USER), once `authorizationFailure` let it through.
    func remoteUser(of request: RoutedRequest) -> String? {
        guard request.location.authRealm != nil, let field = request.head.headers["authorization"] else { return nil }
        return BasicAuth.credentials(fromAuthorization: field)?.user
    }

    func respond(to request: RoutedRequest) -> Response {
        if request.target.path == "*" { return serverWide(request) }
        let location = request.location
        if let redirect = location.redirect {
            return redirectResponse(redirect, for: request)
        }
        guard let method = request.method else {
            return errorResponse(.notImplemented, for: request)
        }
        guard location.allowedMethods.contains(method) else {
            var response = errorResponse(.methodNotAllowed, for: request)
            response.headers.append(("Allow", allowHeader(location)))
            return response
        }
        switch method {
        case .options:
            var response = Response(status: .noContent)
            response.headers.append(("Allow", allowHeader(location)))
            return response
        case .get, .head, .post:
            // A POST that reaches no CGI or upload store is answered as a GET (issue 3's rule).
            return resource(for: request)
        case .put, .delete, .trace, .connect, .patch:
            // PUT and DELETE are handled before this (handle(_:)); the others are not implemented.
            return errorResponse(.notImplemented, for: request)
        }
    }

    // MARK: Resources

    private func resource(for request: RoutedRequest) -> Response {
        guard let fsPath = PathResolver.reachablePath(for: request.target, in: request.location,
                                                      outside: router.temporaryAreas)
        else { return errorResponse(.notFound, for: request) }

        switch FileInfo.lookUp(fsPath) {
        case .regular(let identity):
            return serveFile(fsPath, identity, for: request)
        case .directory(let identity):
            return directoryResponse(fsPath, identity, for: request)
        case .notFound:
            return languageVariant(of: fsPath, for: request) ?? errorResponse(.notFound, for: request)
        case .forbidden:
            return errorResponse(.forbidden, for: request)
        }
    }

    private func directoryResponse(_ fsPath: String, _ identity: FileIdentity, for request: RoutedRequest) -> Response {
        let path = request.target.path
        guard path.hasSuffix("/") else {
            // nginx: a directory asked for without its slash is a 301 to the slashed URI.
            var location = PercentEncoding.encodePath(path) + "/"
            if !request.target.query.isEmpty { location += "?" + request.target.query }
            return redirect(.movedPermanently, to: location, for: request)
        }
        let directory = fsPath.hasSuffix("/") ? fsPath : fsPath + "/"
        for name in request.location.index {
            let candidate = directory + name
            if case .regular(let identity) = FileInfo.lookUp(candidate) {
                return serveFile(candidate, identity, for: request)
            }
        }
        guard request.location.autoindex else {
            // A directory without index and listing is not revealed (ARCHITECTURE.md).
            return errorResponse(.notFound, for: request)
        }
        let html: [UInt8]
        if let cached = listingCache.listing(of: directory, uriPath: path, identity: identity) {
            html = cached
        } else {
            guard let entries = DirectoryListing.entries(ofDirectory: directory) else {
                return errorResponse(.forbidden, for: request)
            }
            html = DirectoryListing.html(uriPath: path, entries: entries)
            listingCache.store(html, of: directory, uriPath: path, identity: identity)
        }
        return headAware(Response(status: .ok, contentType: htmlType, body: .bytes(html)), for: request)
    }

    /// A file as a response: cached bytes, or an open descriptor streamed through the select loop; `ranges`
    /// (already resolved) make it a 206 of one part or of multipart/byteranges. With the file's cache entry
    /// its validators and type go out as rendered there; without (an error page), only its type.
    /// nil when the file cannot be opened (permissions).
    private func fileResponse(_ fsPath: String, _ identity: FileIdentity, status: Status, isHead: Bool,
                              ranges: [ClosedRange<Int>] = [], cached: FileCache.Entry? = nil) -> Response? {
        let type = cached?.contentType ?? contentType(of: fsPath)
        var segments = [FileBody.Segment(offset: 0, length: identity.size)]
        var trailer: [UInt8] = []
        var contentType = type
        var headers: [(name: String, value: String)] = []
        if ranges.count == 1 {
            segments = [FileBody.Segment(offset: ranges[0].lowerBound, length: ranges[0].count)]
            headers.append(("Content-Range", ByteRange.contentRange(ranges[0], length: identity.size)))
        } else if ranges.count > 1 {
            let parts = ByteRangesBody(ranges: ranges, length: identity.size, contentType: type)
            segments = ranges.indices.map {
                FileBody.Segment(prefix: parts.partHead($0), offset: ranges[$0].lowerBound, length: ranges[$0].count)
            }
            trailer = parts.closing
            contentType = parts.contentType
        }
        let length = segments.reduce(trailer.count) { $0 + $1.prefix.count + $1.length }

        var response: Response
        if isHead {
            response = Response(status: status, contentType: contentType, announcedLength: length)
        } else if let bytes = cached?.bytes {
            var body: [UInt8] = []
            if ranges.isEmpty {
                body = bytes
            } else {
                body.reserveCapacity(length)
                for segment in segments {
                    body += segment.prefix
                    body += bytes[segment.offset..<segment.offset + segment.length]
                }
                body += trailer
            }
            response = Response(status: status, contentType: contentType, body: .bytes(body))
        } else if length == 0 {
            response = Response(status: status, contentType: contentType)
        } else {
            let fd = open(fsPath, O_RDONLY)
            guard fd >= 0 else { return nil }
            let descriptor = Descriptor(fd)
            descriptor.setNonBlocking()
            let body = FileBody(descriptor: descriptor, segments: segments, trailer: trailer, path: fsPath,
                                identity: identity)
            response = Response(status: status, contentType: contentType, body: .file(body))
        }
        response.headers = headers
        if let cached {
            // The entry's lines replace the type (unless multipart) and the validators.
            response.headerLines = ranges.count > 1 ? cached.validatorLines : cached.headerLines
            if ranges.count <= 1 { response.contentType = nil }
        }
        return response
    }

    /// Apache's MultiViews idea: `page.html` missing but `page.html.en`, `page.html.fr`… present → the best by
    /// Accept-Language (RFC 9110 §12.5.4), with Content-Language, Content-Location and Vary.
    private func languageVariant(of fsPath: String, for request: RoutedRequest) -> Response? {
        guard let slash = fsPath.utf8.lastIndex(of: UInt8(ascii: "/")) else { return nil }
        let directory = String(fsPath[..<slash])
        let name = String(fsPath[fsPath.utf8.index(after: slash)...])
        guard !name.isEmpty, case .directory(let identity) = FileInfo.lookUp(directory) else { return nil }
        let names = variantIndex.variantFileNames(of: name, in: directory, identity: identity)
        guard !names.isEmpty else { return nil }
        let variants = LanguageNegotiation.variants(of: name, among: names)
        guard !variants.isEmpty else { return nil }
        let accepted = request.head.headers.values(named: "accept-language").joined(separator: ",")
        guard let best = LanguageNegotiation.best(of: variants, acceptLanguage: accepted.isEmpty ? nil : accepted),
              case .regular(let identity) = FileInfo.lookUp(directory + "/" + best.fileName)
        else {
            var response = errorResponse(.notFound, for: request)
            response.headers.append(("Vary", "Accept-Language"))
            return response
        }
        var response = serveFile(directory + "/" + best.fileName, identity, for: request)
        let uriDirectory = uriDirectory(of: request.target.path)
        response.headers.append(("Content-Language", best.tag))
        response.headers.append(("Content-Location", PercentEncoding.encodePath(uriDirectory) + PercentEncoding.encodeSegment(best.fileName)))
        response.headers.append(("Vary", "Accept-Language"))
        return response
    }

    /// The type by extension; a language variant (`page.html.fr`) has its page's type, not an unknown one.
    private func contentType(of fsPath: String) -> String {
        let type = MIMETypes.contentType(forPath: fsPath)
        guard type == MIMETypes.defaultType, let dot = fsPath.utf8.lastIndex(of: UInt8(ascii: ".")),
              let slash = fsPath.utf8.lastIndex(of: UInt8(ascii: "/")), dot > slash,
              !LanguageNegotiation.variants(of: String(fsPath[fsPath.utf8.index(after: slash)..<dot]),
                                            among: [String(fsPath[fsPath.utf8.index(after: slash)...])]).isEmpty
        else { return type }
        return MIMETypes.contentType(forPath: String(fsPath[..<dot]))
    }

    /// A file for a GET or HEAD: validators (ETag, Last-Modified), conditional requests (304/412, RFC 9110
    /// §13.2.2) and ranges (206/416, §14).
    private func serveFile(_ fsPath: String, _ identity: FileIdentity, for request: RoutedRequest) -> Response {
        let cached = fileCache.entry(for: fsPath, identity: identity) { contentType(of: fsPath) }
        let etag = cached.etag
        let validators = Validators(etag: etag, lastModified: identity.modifiedSeconds)
        let headers = request.head.headers
        let method = request.method ?? .get
        switch Conditional.evaluate(headers, method: method, current: validators) {
        case .notModified:
            var response = Response(status: .notModified)
            response.headers = [("ETag", etag.field)]
            response.lastModified = identity.modifiedSeconds
            return response
        case .preconditionFailed:
            return errorResponse(.preconditionFailed, for: request)
        case .proceed:
            break
        }
        var ranges: [ClosedRange<Int>] = []
        if method == .get, let field = headers["range"], Conditional.ifRangeAllowsPartial(headers, current: validators) {
            switch ByteRange.resolve(field, length: identity.size) {
            case .ignored:
                break
            case .unsatisfiable:
                var response = errorResponse(.rangeNotSatisfiable, for: request)
                response.headers.append(("Content-Range", ByteRange.unsatisfiedContentRange(length: identity.size)))
                return response
            case .ranges(let resolved):
                ranges = resolved
            }
        }
        guard let response = fileResponse(fsPath, identity, status: ranges.isEmpty ? .ok : .partialContent,
                                          isHead: method == .head, ranges: ranges, cached: cached)
        else { return errorResponse(openFailureStatus(), for: request) }
        return response
    }

    /// Right after open() failed: permissions are the client's problem (403), running out of descriptors is
    /// ours and passes (503).
    private func openFailureStatus() -> Status {
        let code = cselect_errno()
        return code == EACCES || code == EPERM ? .forbidden : .serviceUnavailable
    }

    /// Remembers a small file read completely through select(), so the next hit needs no open().
    func fileWasRead(_ bytes: [UInt8], from file: FileBody) {
        fileCache.store(bytes, for: file.path, identity: file.identity)
    }

    // MARK: Redirects

    private func redirectResponse(_ rule: Location.Redirect, for request: RoutedRequest) -> Response {
        let status = Status(code: rule.status)
        switch rule.status {
        case 301, 302, 303, 307, 308:
            return redirect(status, to: rule.target, for: request)
        default:
            // `return 200 "text"`: the text is the body (nginx sends it as text/plain here).
            let body = Array(rule.target.utf8)
            if status.code >= 400 && body.isEmpty { return errorResponse(status, for: request) }
            return headAware(Response(status: status, contentType: "text/plain; charset=utf-8", body: .bytes(body)),
                             for: request)
        }
    }

    private func redirect(_ status: Status, to location: String, for request: RoutedRequest) -> Response {
        var response = errorPage(status)
        response.headers.append(("Location", location))
        return headAware(response, for: request)
    }

    // MARK: Errors

    /// The error page for `status`: the location's `error_page` when it names a readable file (served with
    /// the original status), else the built-in page.
    func errorResponse(_ status: Status, for request: RoutedRequest) -> Response {
        errorResponse(status, server: request.server, location: request.location, isHead: request.method == .head)
    }

    /// For a request that could not be routed (unparsable): the pages of the endpoint's default server.
    func errorResponse(_ status: Status, arrivingOn local: Endpoint) -> Response {
        let server = router.server(forHost: nil, localEndpoint: local)
        return errorResponse(status, server: server, location: router.location(for: "/", in: server), isHead: false)
    }

    private func errorResponse(_ status: Status, server: VirtualServer, location: Location, isHead: Bool) -> Response {
        if let uri = location.errorPages[status.code] {
            if uri.hasPrefix("http://") || uri.hasPrefix("https://") {
                var response = errorPage(.found)
                response.headers.append(("Location", uri))
                return headOnly(response, isHead)
            }
            let pagePath = uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? uri
            let pageLocation = router.location(for: pagePath, in: server)
            if let fsPath = PathResolver.fileSystemPath(for: pagePath, in: pageLocation),
               case .regular(let identity) = FileInfo.lookUp(fsPath),
               var response = fileResponse(fsPath, identity, status: status, isHead: isHead) {
                response.lastModified = nil
                return response
            }
        }
        var response = headOnly(errorPage(status), isHead)
        // RFC 9110 §10.2.3: a client told we are out of resources learns when to come back.
        if status == .serviceUnavailable { response.headers.append(("Retry-After", "1")) }
        return response
    }

    private func errorPage(_ status: Status) -> Response {
        Response(status: status, contentType: htmlType, body: .bytes(ErrorPages.defaultPage(for: status)))
    }

    /// HEAD gets the GET headers without the body.
    private func headAware(_ response: Response, for request: RoutedRequest) -> Response {
        headOnly(response, request.method == .head)
    }

    private func headOnly(_ response: Response, _ isHead: Bool) -> Response {
        guard isHead, case .bytes(let bytes) = response.body else { return response }
        var head = response
        head.body = .empty
        head.contentLength = bytes.count
        return head
    }

    /// RFC 9110 §9.3.7: `OPTIONS *` asks about the server, not a resource: no location's rules apply (its
    /// methods, redirect or authentication), and the answer lists every method some location allows that
    /// webserv implements, plus OPTIONS itself. `*` is a valid target for OPTIONS only.
    private func serverWide(_ request: RoutedRequest) -> Response {
        guard let method = request.method else { return errorResponse(.notImplemented, for: request) }
        guard method == .options else { return errorResponse(.badRequest, for: request) }
        var methods: Set<Method> = [.options]
        for location in request.server.locations { methods.formUnion(location.allowedMethods) }
        let implemented: [Method] = [.get, .head, .post, .put, .delete, .options]
        var response = Response(status: .noContent)
        response.headers.append(("Allow", implemented.filter(methods.contains).map(\.name).joined(separator: ", ")))
        return response
    }

    private func allowHeader(_ location: Location) -> String {
        Method.allCases.filter { location.allowedMethods.contains($0) }.map(\.name).joined(separator: ", ")
    }

    private let htmlType = "text/html; charset=utf-8"
}
