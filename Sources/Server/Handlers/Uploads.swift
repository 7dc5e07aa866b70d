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
                       uriBase: request.targetDirectory)
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
                           uriBase: uriBase)
        }
        if name.isEmpty {
            uploadCounter += 1
            name = "upload-\(time(nil))-\(uploadCounter)"
        }
        return .upload(directory: directory, temporaries: temporaries, kind: .raw(name: name), uriBase: uriBase)
    }

    /// The answer once an upload's files are in place: 201 with the first file's `Location` and a page
    /// linking every stored file; a PUT that replaced a file is 204; a form without any file is 400.
    func response(_ stored: [UploadSink.StoredFile], uriBase: String, isPut: Bool) -> Response {
        if isPut, let file = stored.first, file.replaced {
            return Response(status: .noContent)
        }
        if stored.isEmpty {
            // Only a form can store nothing: a browser sends one when its file input was left empty.
            let page = ErrorPages.page(for: .badRequest, explanation: "No file was chosen: the form was sent "
                                           + "without any file to upload. Choose a file, then send the form again.")
            return Response(status: .badRequest, contentType: ErrorPages.htmlType, body: .bytes(page))
        }
        var html = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>201 Created</title></head><body>\n"
        html += "<h1>Stored \(stored.count) file\(stored.count == 1 ? "" : "s")</h1>\n<ul>\n"
        for file in stored {
            let href = PercentEncoding.encodePath(uriBase) + PercentEncoding.encodeSegment(file.name)
            html += "<li><a href=\"\(href)\">\(HTMLEscaping.escape(file.name))</a></li>\n"
        }
        html += "</ul>\n</body></html>\n"
        var response = Response(status: .created, contentType: ErrorPages.htmlType, body: .bytes(Array(html.utf8)))
        if let first = stored.first {
            let location = PercentEncoding.encodePath(uriBase) + PercentEncoding.encodeSegment(first.name)
            response.headers.append(("Location", location))
        }
        return response
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
