#if canImport(Glibc)
import Glibc
#endif

/// Serves what a GET, HEAD (or a POST answered as a GET) names under a location's root or alias: files with
/// their validators, conditionals and ranges, directories (index, listing, slash redirect) and language
/// variants. Owns what makes a hot resource cheap: the file cache, the listing cache and the variant index.
final class StaticFiles {
    private let errorPages: ErrorPages
    private let temporaryAreas: TemporaryAreas
    /// Ready answers for plain GETs of small files, filled here and read before routing.
    let hot = HotResponses()
    private var fileCache = FileCache()
    private var listingCache = ListingCache()
    private var variantIndex = VariantIndex()

    init(errorPages: ErrorPages, temporaryAreas: TemporaryAreas) {
        self.errorPages = errorPages
        self.temporaryAreas = temporaryAreas
    }

    /// The resource the request's path names, or the error page saying why there is none, labelled with the
    /// location's `charset`. A 200 for a small regular file named directly is remembered as a ready answer.
    func response(for request: RoutedRequest) -> Response {
        // Settings are read from the shared route: a copy of the location would cost every request.
        let route = request.route
        // The file is first looked at through its path's bytes: a missing file in a directory known to hold
        // no variants (nearly every 404) then builds no String at all.
        var known: FileInfo?
        let early = PathResolver.withRootedPath(for: request.target, in: route.location) { bytes, pathStart -> Early in
            if route.rootNamesDefaultArea || temporaryAreas.contain(rootedPath: bytes, pathStart: pathStart) {
                return .hidden
            }
            let info = bytes.withMemoryRebound(to: CChar.self) { FileInfo.lookUp(cPath: $0.baseAddress!) }
            if case .notFound = info, hasNoVariants(besides: bytes) { return .missing }
            return .lookedUp(info)
        }
        switch early {
        case .hidden?, .missing?:
            return errorPages.response(.notFound, for: request)
        case .lookedUp(let info)?:
            known = info
        case nil:
            break
        }
        guard let fsPath = PathResolver.reachablePath(for: request.target, in: route, outside: temporaryAreas)
        else { return errorPages.response(.notFound, for: request) }

        var response: Response
        var served: FileIdentity?
        switch known ?? FileInfo.lookUp(fsPath) {
        case .regular(let identity):
            response = serveFile(fsPath, identity, for: request)
            served = identity
        case .directory(let identity):
            response = directoryResponse(fsPath, identity, for: request)
        case .notFound:
            if let variant = languageVariant(of: fsPath, for: request) {
                response = variant
            } else if route.location.charset == nil {
                return errorPages.response(.notFound, for: request)
            } else {
                response = errorPages.response(.notFound, for: request)
            }
        case .forbidden:
            response = errorPages.response(.forbidden, for: request)
        }
        if let charset = route.location.charset { ContentCharset.label(&response, with: charset) }
        if let identity = served, response.status == .ok, case .bytes = response.body, response.headers.isEmpty,
           route.location.authRealm == nil {
            hot.remember(response, path: fsPath, identity: identity, for: request, now: .now)
        }
        return response
    }

    /// What the look at a path's bytes found (`response(for:)`).
    private enum Early {
        /// In a directory where bodies wait.
        case hidden
        /// Missing, and its directory's variants are trusted to include none.
        case missing
        case lookedUp(FileInfo)
    }

    /// True when the directory of `fsPath` (its bytes) was stat()ed less than a second ago and holds no
    /// language variant at all; false when that is not known.
    private func hasNoVariants(besides fsPath: UnsafeBufferPointer<UInt8>) -> Bool {
        var slash = fsPath.count - 1
        while slash >= 0 && fsPath[slash] != UInt8(ascii: "/") { slash -= 1 }
        guard slash >= 0,
              let variants = variantIndex.trustedVariants(inDirectory: UnsafeBufferPointer(rebasing: fsPath[..<slash]),
                                                          now: .now)
        else { return false }
        return variants.isEmpty
    }

    /// Remembers a small file read completely through select(), so the next hit needs no open().
    func fileWasRead(_ bytes: [UInt8], from file: FileBody) {
        fileCache.store(bytes, for: file.path, identity: file.identity)
    }

    /// The server wrote or removed files: no ready answer or trusted directory stat may be used again.
    func filesChanged() {
        hot.removeAll()
        variantIndex.distrustAll()
    }

    private func directoryResponse(_ fsPath: String, _ identity: FileIdentity, for request: RoutedRequest) -> Response {
        let path = request.target.path
        guard path.hasSuffix("/") else {
            // nginx: a directory asked for without its slash is a 301 to the slashed URI.
            var location = PercentEncoding.encodePath(path) + "/"
            if !request.target.query.isEmpty { location += "?" + request.target.query }
            return errorPages.redirect(.movedPermanently, to: location, for: request)
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
            return errorPages.response(.notFound, for: request)
        }
        let location = request.location
        let listing: (bytes: [UInt8], contentType: String)
        if let cached = listingCache.listing(of: directory, uriPath: path, for: location, identity: identity) {
            listing = cached
        } else {
            guard let entries = DirectoryListing.entries(ofDirectory: directory) else {
                return errorPages.response(.forbidden, for: request)
            }
            listing = DirectoryListing.page(uriPath: path, entries: entries, of: location)
            listingCache.store(listing, of: directory, uriPath: path, for: location, identity: identity)
        }
        return ErrorPages.headAware(Response(status: .ok, contentType: listing.contentType,
                                             body: .bytes(listing.bytes)), for: request)
    }

    /// Apache's MultiViews idea: `page.html` missing but `page.html.en`, `page.html.fr`… present → the best by
    /// Accept-Language (RFC 9110 §12.5.4), with Content-Language, Content-Location and Vary. When none is
    /// acceptable the default variant (`default_language`, else the first tag) is served, as §12.5.4 allows:
    /// a page that exists in some language is never 404.
    private func languageVariant(of fsPath: String, for request: RoutedRequest) -> Response? {
        let now = ContinuousClock.now
        // The directory is first looked for by the path's bytes: a trusted directory without any variant
        // (nearly every 404) then costs no String at all.
        var path = fsPath
        var slashOffset = -1
        let trusted = path.withUTF8 { bytes -> [String: [String]]? in
            var i = bytes.count - 1
            while i >= 0 && bytes[i] != UInt8(ascii: "/") { i -= 1 }
            slashOffset = i
            guard i >= 0 && i + 1 < bytes.count else { return nil }
            return variantIndex.trustedVariants(inDirectory: UnsafeBufferPointer(rebasing: bytes[..<i]), now: now)
        }
        guard slashOffset >= 0, slashOffset + 1 < fsPath.utf8.count else { return nil }
        if let trusted, trusted.isEmpty { return nil }
        let slash = fsPath.utf8.index(fsPath.utf8.startIndex, offsetBy: slashOffset)
        let directory = String(fsPath[..<slash])
        let name = String(fsPath[fsPath.utf8.index(after: slash)...])
        let names: [String]
        if let trusted {
            names = trusted[name] ?? []
        } else {
            guard case .directory(let identity) = FileInfo.lookUp(directory) else { return nil }
            names = variantIndex.variantFileNames(of: name, in: directory, identity: identity, now: now)
        }
        guard !names.isEmpty else { return nil }
        let variants = LanguageNegotiation.preferring(request.location.defaultLanguage,
                                                      in: LanguageNegotiation.variants(of: name, among: names))
        guard !variants.isEmpty else { return nil }
        let vary = variants.contains { $0.charset != nil } ? "Accept-Language, Accept-Charset" : "Accept-Language"
        guard let best = Self.bestVariant(of: variants, for: request.head.headers),
              case .regular(let identity) = FileInfo.lookUp(directory + "/" + best.fileName)
        else {
            var response = errorPages.response(.notFound, for: request)
            response.headers.append(("Vary", vary))
            return response
        }
        var response = serveFile(directory + "/" + best.fileName, identity, for: request)
        let location = PercentEncoding.encodePath(request.targetDirectory)
            + PercentEncoding.encodeSegment(best.fileName)
        response.headers.append(("Content-Language", best.tag))
        response.headers.append(("Content-Location", location))
        response.headers.append(("Vary", vary))
        return response
    }

    /// The language first (else the default one), then among its variants the charset (else its first
    /// variant: RFC 9110 §12.5.2 lets a server ignore an Accept-Charset it cannot satisfy).
    private static func bestVariant(of variants: [LanguageVariant], for headers: Headers) -> LanguageVariant? {
        let languages = headers.values(named: "accept-language").joined(separator: ",")
        var tags: [String] = []
        for variant in variants where !tags.contains(variant.tag) { tags.append(variant.tag) }
        guard let tag = LanguageNegotiation.bestTag(among: tags, acceptLanguage: languages.isEmpty ? nil : languages)
                ?? tags.first else { return nil }
        let ofTag = variants.filter { $0.tag == tag }
        let charsets = headers.values(named: "accept-charset").joined(separator: ",")
        let charset = CharsetNegotiation.best(among: ofTag.compactMap(\.charset),
                                              acceptCharset: charsets.isEmpty ? nil : charsets)
        return ofTag.first { $0.charset == charset } ?? ofTag.first
    }

    /// The type by extension in the location's table; a language variant (`page.html.fr`) has its page's type,
    /// not an unknown one, and one in a charset (`page.html.fr.iso-8859-1`) says that charset.
    static func contentType(of fsPath: String, in types: MIMETable = .builtIn,
                            defaultType: String = MIMETypes.defaultType) -> String {
        if let (base, charset) = CharsetNegotiation.suffix(of: fsPath), let page = languagePage(of: base) {
            let type = types.contentType(forPath: page, defaultType: defaultType)
            let mediaType = String(type.prefix { $0 != ";" })
            return MIMETypes.isText(mediaType) ? mediaType + "; charset=" + charset : type
        }
        if let type = types.knownType(forPath: fsPath) { return type }
        guard let page = languagePage(of: fsPath) else { return defaultType }
        return types.contentType(forPath: page, defaultType: defaultType)
    }

    /// The page a language variant's path is a variant of (`…/page.html` for `…/page.html.fr`), else nil.
    private static func languagePage(of fsPath: String) -> String? {
        guard let dot = fsPath.utf8.lastIndex(of: UInt8(ascii: ".")),
              let slash = fsPath.utf8.lastIndex(of: UInt8(ascii: "/")), dot > slash,
              !LanguageNegotiation.variants(of: String(fsPath[fsPath.utf8.index(after: slash)..<dot]),
                                            among: [String(fsPath[fsPath.utf8.index(after: slash)...])]).isEmpty
        else { return nil }
        return String(fsPath[..<dot])
    }

    /// A file for a GET or HEAD; with `gzip_static`, its `.gz` beside it for a client that takes gzip (the
    /// original's type; validators, length and ranges those of the compressed bytes), and `Vary` either way.
    /// Answers that vary are never remembered as ready answers (they carry a header of their own).
    private func serveFile(_ fsPath: String, _ identity: FileIdentity, for request: RoutedRequest) -> Response {
        let location = request.location
        let typeOf = { (path: String) in
            Self.contentType(of: path, in: location.mimeTypes, defaultType: location.defaultType)
        }
        guard location.gzipStatic else {
            return serveFile(fsPath, identity, cacheKey: fsPath, contentType: typeOf, for: request)
        }
        var response: Response
        let compressed = fsPath + ".gz"
        if GzipNegotiation.accepts(request.head.headers), case .regular(let gzipIdentity) = FileInfo.lookUp(compressed) {
            // Its own cache key: asked for by name, the `.gz` is an application/gzip file.
            response = serveFile(compressed, gzipIdentity, cacheKey: StaticFiles.gzipKeyPrefix + compressed,
                                 contentType: { _ in typeOf(fsPath) }, for: request)
            if response.status == .ok || response.status == .partialContent {
                response.headers.append(("Content-Encoding", "gzip"))
            }
        } else {
            response = serveFile(fsPath, identity, cacheKey: fsPath, contentType: typeOf, for: request)
        }
        response.headers.append(("Vary", "Accept-Encoding"))
        return response
    }

    /// Marks the file cache's entries of `.gz` files served in place of their original.
    private static let gzipKeyPrefix = "gzip:"

    /// A file for a GET or HEAD: validators (ETag, Last-Modified), conditional requests (304/412, RFC 9110
    /// §13.2.2) and ranges (206/416, §14).
    private func serveFile(_ fsPath: String, _ identity: FileIdentity, cacheKey: String,
                           contentType: (String) -> String, for request: RoutedRequest) -> Response {
        let location = request.location
        let cached = fileCache.entry(for: cacheKey, identity: identity, types: location.mimeTypes,
                                     defaultType: location.defaultType) { contentType(fsPath) }
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
            return errorPages.response(.preconditionFailed, for: request)
        case .proceed:
            break
        }
        var ranges: [ClosedRange<Int>] = []
        if method == .get, let field = headers["range"],
           Conditional.ifRangeAllowsPartial(headers, current: validators) {
            switch ByteRange.resolve(field, length: identity.size) {
            case .ignored:
                break
            case .unsatisfiable:
                var response = errorPages.response(.rangeNotSatisfiable, for: request)
                response.headers.append(("Content-Range", ByteRange.unsatisfiedContentRange(length: identity.size)))
                return response
            case .ranges(let resolved):
                ranges = resolved
            }
        }
        guard let response = Self.fileResponse(fsPath, identity, status: ranges.isEmpty ? .ok : .partialContent,
                                               isHead: method == .head, ranges: ranges, cached: cached,
                                               cacheKey: cacheKey)
        else { return errorPages.fileAccessFailure(for: request) }
        return response
    }

    /// A file as a response: cached bytes, or an open descriptor streamed through the select loop; `ranges`
    /// (already resolved) make it a 206 of one part or of multipart/byteranges. With the file's cache entry
    /// its validators and type go out as rendered there; without (an error page), only its type.
    /// nil when the file cannot be opened (permissions). `cacheKey`: what its bytes fill the file cache under.
    static func fileResponse(_ fsPath: String, _ identity: FileIdentity, status: Status, isHead: Bool,
                             ranges: [ClosedRange<Int>] = [], cached: FileCache.Entry? = nil,
                             types: MIMETable = .builtIn, defaultType: String = MIMETypes.defaultType,
                             cacheKey: String? = nil) -> Response? {
        let type = cached?.contentType ?? contentType(of: fsPath, in: types, defaultType: defaultType)
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
            guard let descriptor = Descriptor.open(fsPath, O_RDONLY) else { return nil }
            let body = FileBody(descriptor: descriptor, segments: segments, trailer: trailer,
                                path: cacheKey ?? fsPath, identity: identity)
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
}
