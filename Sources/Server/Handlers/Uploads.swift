#if canImport(Glibc)
import Glibc
#endif

/// The decisions on requests that write: where a PUT or a POST to an upload store will put its body (the body
/// itself is stored by `UploadSink`), the answer once it is stored, and DELETE.
final class Uploads {
    private let errorPages: ErrorPages
    private let temporaryAreas: TemporaryAreas
    /// Numbers the names of raw POST bodies stored without a name.
    private var uploadCounter = 0

    init(errorPages: ErrorPages, temporaryAreas: TemporaryAreas) {
        self.errorPages = errorPages
        self.temporaryAreas = temporaryAreas
    }

    /// RFC 9110 §13.1: If-Match, If-None-Match and If-Unmodified-Since are checked before a PUT or DELETE
    /// acts, against the file as it is now (or its absence).
    func failedPrecondition(for request: RoutedRequest, method: Method) -> Response? {
        let headers = request.head.headers
        guard headers.contains("if-match") || headers.contains("if-none-match")
                || headers.contains("if-unmodified-since") else { return nil }
        var current: Validators?
        if let path = writablePath(for: request), case .regular(let identity) = FileInfo.lookUp(path) {
            current = Validators(etag: Conditional.etag(for: identity), lastModified: identity.modifiedSeconds)
        }
        guard Conditional.evaluate(headers, method: method, current: current) != .proceed else { return nil }
        return errorPages.response(.preconditionFailed, for: request)
    }

    /// Where a PUT's body goes: the file the path names, in an existing directory.
    func putTarget(for request: RoutedRequest) -> Responder.Handling {
        // RFC 9110 §14.5: a partial PUT must not be taken for the whole representation.
        if request.head.headers.contains("content-range") { return failure(.badRequest, for: request) }
        guard let path = writablePath(for: request) else { return failure(.notFound, for: request) }
        let (directory, name) = split(path)
        guard !name.isEmpty, !request.target.path.hasSuffix("/") else { return failure(.conflict, for: request) }
        switch FileInfo.lookUp(directory) {
        case .directory: break
        case .forbidden: return failure(.forbidden, for: request)
        case .regular, .notFound: return failure(.conflict, for: request)
        }
        if case .directory = FileInfo.lookUp(path) { return failure(.conflict, for: request) }
        guard let temporaries = request.location.bodyTemporaries?.path else {
            return failure(.internalServerError, for: request)
        }
        return .upload(directory: directory, temporaries: temporaries, kind: .put(name: name),
                       uriBase: request.targetDirectory, seeOther: false)
    }

    /// Where a POST to an upload store goes: a form's files into the directory, or a raw body as the file the
    /// path names (a generated name when the path is the directory).
    func postTarget(for request: RoutedRequest) -> Responder.Handling {
        guard let path = writablePath(for: request) else { return failure(.notFound, for: request) }
        var directory = path
        var name = ""
        // A directory (with or without its slash) receives new files; otherwise the path names the new file.
        if case .directory = FileInfo.lookUp(path) {
        } else {
            (directory, name) = split(path)
            guard case .directory = FileInfo.lookUp(directory) else { return failure(.notFound, for: request) }
        }
        let uriPath = request.target.path
        let uriBase = name.isEmpty ? (uriPath.hasSuffix("/") ? uriPath : uriPath + "/") : request.targetDirectory
        guard let temporaries = request.location.bodyTemporaries?.path else {
            return failure(.internalServerError, for: request)
        }
        let contentType = request.head.headers["content-type"] ?? ""
        if MultipartParser.isFormData(contentType: contentType) {
            guard let boundary = MultipartParser.boundary(fromContentType: contentType) else {
                return failure(.badRequest, for: request)
            }
            return .upload(directory: directory, temporaries: temporaries, kind: .multipart(boundary: boundary),
                           uriBase: uriBase, seeOther: UploadResult.isBrowserForm(request.head.headers))
        }
        if name.isEmpty {
            uploadCounter += 1
            name = "upload-\(time(nil))-\(uploadCounter)"
        }
        return .upload(directory: directory, temporaries: temporaries, kind: .raw(name: name), uriBase: uriBase,
                       seeOther: false)
    }

    /// The answer once an upload's files are in place: 201 with the first file's `Location` and a page
    /// linking every stored file; a PUT that replaced a file is 204; a form without any file is 400. A browser's
    /// form post (`seeOther`) gets 303 to the result page instead, so reloading it does not post again.
    func response(_ stored: [UploadSink.StoredFile], uriBase: String, isPut: Bool, seeOther: Bool = false)
        -> Response
    {
        if isPut, let file = stored.first, file.replaced {
            return Response(status: .noContent)
        }
        if stored.isEmpty {
            // Only a form can store nothing: a browser sends one when its file input was left empty.
            var page: [UInt8] = []
            PageStyle.appendHead(title: "No file chosen", to: &page)
            page.append(contentsOf: "<h1>No file chosen</h1>\n<p>No file was chosen: the form was sent without any file to upload. "
                .utf8)
            page.append(contentsOf: "Choose a file, then send the form again.</p>\n".utf8)
            page.append(contentsOf: "<p><a href=\"javascript:history.back()\">Back to the form</a> · <a href=\"".utf8)
            page.append(contentsOf: PercentEncoding.encodePath(uriBase).utf8)
            page.append(contentsOf: "\">The stored files</a></p>\n".utf8)
            PageStyle.appendFooter(to: &page)
            return Response(status: .badRequest, contentType: ErrorPages.htmlType, body: .bytes(page))
        }
        let base = PercentEncoding.encodePath(uriBase)
        let names = stored.map(\.name)
        if seeOther {
            let target = base + "?" + names.map { UploadResult.parameter + "=" + PercentEncoding.encodeSegment($0) }
                .joined(separator: "&")
            // The client must be able to send the address back within the request-line limit.
            if target.utf8.count <= UploadResult.maxLocationLength {
                var response = Response(status: .seeOther, contentType: ErrorPages.htmlType,
                                        body: .bytes(UploadResult.page(names: names, uriBase: uriBase)))
                response.headers.append(("Location", target))
                return response
            }
        }
        var response = Response(status: .created, contentType: ErrorPages.htmlType,
                                body: .bytes(UploadResult.page(names: names, uriBase: uriBase)))
        response.headers.append(("Location", base + PercentEncoding.encodeSegment(names[0])))
        return response
    }

    /// The page a 303 after a form post leads to: `GET /store/?uploaded=a.txt&uploaded=b.txt` names the files
    /// again, those still in the store as links. nil when the request is not one.
    func resultPage(for request: RoutedRequest) -> Response? {
        let target = request.target
        guard request.location.uploadStore != nil, target.path.hasSuffix("/"),
              target.query.hasPrefix(UploadResult.parameter + "="),
              let directory = writablePath(for: request) else { return nil }
        let names = UploadResult.names(inQuery: target.query)
        guard !names.isEmpty else { return nil }
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        let present = names.map { name -> (String, Bool) in
            if case .regular = FileInfo.lookUp(base + name) { return (name, true) }
            return (name, false)
        }
        let page = UploadResult.page(names: present.map(\.0), present: present.map(\.1), uriBase: target.path)
        return ErrorPages.headAware(Response(status: .ok, contentType: ErrorPages.htmlType, body: .bytes(page)),
                                    for: request)
    }

    func delete(for request: RoutedRequest) -> Response {
        guard let path = writablePath(for: request) else { return errorPages.response(.notFound, for: request) }
        switch FileInfo.lookUp(path) {
        case .notFound:
            return errorPages.response(.notFound, for: request)
        case .directory:
            return errorPages.response(.conflict, for: request)
        case .forbidden:
            return errorPages.response(.forbidden, for: request)
        case .regular:
            guard unlink(path) == 0 else { return errorPages.fileAccessFailure(for: request) }
            return Response(status: .noContent)
        }
    }

    /// Where writes and deletes go: the upload store when the location has one (the path after the location's
    /// prefix, inside it), else the file the path names under root or alias. Never outside either.
    private func writablePath(for request: RoutedRequest) -> String? {
        var location = request.location
        if let store = location.uploadStore {
            location.source = .alias(store)
            if case .exact(let path) = location.match { location.match = .prefix(path) }
        }
        return PathResolver.reachablePath(for: request.target, in: location, outside: temporaryAreas)
    }

    private func failure(_ status: Status, for request: RoutedRequest) -> Responder.Handling {
        .response(errorPages.response(status, for: request))
    }

    private func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return (".", path) }
        return (String(path[..<slash]), String(path[path.utf8.index(after: slash)...]))
    }
}
