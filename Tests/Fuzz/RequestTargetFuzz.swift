/// Request-target decoding and path resolution. The input is a request-target (as the head parser hands it
/// over, through `String(decoding:)`). Properties:
/// - decoding agrees with a plain second implementation (split, decode each segment, walk a stack);
/// - a decoded path is absolute, has no empty/"."/".." segment, no control byte, and re-decoding it (when it
///   holds nothing that decoding would touch again) gives it back unchanged;
/// - for the decoded path and for the raw input used as a path, every location kind (root "/srv/www", root "/",
///   alias prefix with and without a trailing slash, exact alias) resolves inside its directory or not at all.
@_cdecl("LLVMFuzzerTestOneInput")
public func requestTargetFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let raw = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let parsed = Result { () throws(HTTPError) -> RequestTarget in try RequestTarget.parse(raw) }
    let reference = referenceParse(Array(raw.utf8))
    switch (parsed, reference) {
    case (.success(let target), .success(let expected)):
        require(target == expected, "decoded \(target), the reference decoding gives \(expected); target \(describe(raw.utf8))")
    case (.failure(let error), .failure):
        require(error.status == .badRequest, "refused with \(error.status.code), not 400")
    default:
        require(false, "parse gives \(parsed), the reference decoding gives \(reference); target \(describe(raw.utf8))")
    }
    if case .success(let target) = parsed {
        checkTarget(target, raw: raw)
        for location in locations {
            resolve(target.path, in: location, encodedSlash: target.hasEncodedSlash, origin: "target \(describe(raw.utf8))")
            if let viaTarget = PathResolver.fileSystemPath(for: target, in: location) {
                require(!target.hasEncodedSlash, "a path with %2F resolved to \(viaTarget)")
                require(viaTarget == PathResolver.fileSystemPath(for: target.path, in: location),
                        "resolving the target and its path disagree")
            }
        }
    }
    // A caller handing over any string at all must not escape either.
    for location in locations { resolve(raw, in: location, encodedSlash: false, origin: "raw path \(describe(raw.utf8))") }
    return 0
}

private let locations: [Location] = [
    Location(match: .prefix("/"), source: .root("/srv/www")),
    Location(match: .prefix("/"), source: .root("/")),
    Location(match: .prefix("/static/"), source: .root("/srv/static/")),
    Location(match: .prefix("/images/"), source: .alias("/data/img/")),
    Location(match: .prefix("/kapouet"), source: .alias("/data/k")),
    Location(match: .prefix("/x"), source: .alias("/data/x/")),
    Location(match: .prefix("/"), source: .alias("/data/all")),
    Location(match: .exact("/favicon.ico"), source: .alias("/data/icons/site.ico")),
]

private func checkTarget(_ target: RequestTarget, raw: String) {
    let context = { "target \(describe(raw.utf8)) → path \(describe(target.path.utf8))" }
    let path = Array(target.path.utf8)
    if target.path == "*" {
        require(raw == "*", "asterisk path from \(context())")
        return
    }
    require(path.first == UInt8(ascii: "/"), "path not absolute; \(context())")
    require(path.allSatisfy { $0 >= 0x20 && $0 != 0x7F }, "control byte in decoded path; \(context())")
    require(raw.utf8.contains(UInt8(ascii: "%")) || !target.hasEncodedSlash, "encoded slash without a %; \(context())")
    let segments = path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst()
    for (index, segment) in segments.enumerated() {
        let isLast = index == segments.count - 1
        if !target.hasEncodedSlash {
            require(!segment.isEmpty || isLast, "empty segment; \(context())")
        }
        // Even a decoded "/" cannot bring back a "." or ".." segment: %2F is never a separator while decoding.
        if !target.hasEncodedSlash {
            require(!segment.elementsEqual(".".utf8) && !segment.elementsEqual("..".utf8), "dot segment left; \(context())")
        }
    }
    if let query = raw.utf8.firstIndex(of: UInt8(ascii: "?")) {
        require(target.query == String(raw[raw.utf8.index(after: query)...]), "query is not what follows \"?\"; \(context())")
    } else {
        require(target.query.isEmpty, "query without \"?\"; \(context())")
    }

    // Normalisation is idempotent: a decoded path that decoding would not touch again decodes to itself.
    let untouched = path.allSatisfy { $0 > 0x20 && $0 != 0x7F && $0 != UInt8(ascii: "%") && $0 != UInt8(ascii: "?") && $0 != UInt8(ascii: "#") }
    if untouched && !target.hasEncodedSlash {
        let again = try? RequestTarget.parse(target.path)
        require(again?.path == target.path, "decoding the decoded path changed it to \(String(describing: again?.path)); \(context())")
    }
}

/// The resolved file-system path must stay in the location's directory and hold no "." or ".." segment.
private func resolve(_ path: String, in location: Location, encodedSlash: Bool, origin: @autoclosure @escaping () -> String) {
    guard let resolved = PathResolver.fileSystemPath(for: path, in: location) else { return }
    let context = { "\(origin()) in \(location.match) \(location.source) → \(describe(resolved.utf8))" }
    let base: String
    switch location.source {
    case .root(let root): base = root
    case .alias(let alias):
        if case .exact = location.match {
            require(resolved == alias, "exact alias resolved elsewhere; \(context())")
            return
        }
        base = alias
    }
    var trimmed = Array(base.utf8)
    while trimmed.count > 1 && trimmed.last == UInt8(ascii: "/") { trimmed.removeLast() }
    let bytes = Array(resolved.utf8)
    let inside = bytes == trimmed || trimmed == [UInt8(ascii: "/")]
        || (bytes.starts(with: trimmed) && bytes[trimmed.count] == UInt8(ascii: "/"))
    require(inside, "resolved outside \(base); \(context())")
    require(!bytes.contains(0), "NUL in resolved path; \(context())")
    let segments = bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst()
    for (index, segment) in segments.enumerated() {
        require(!segment.elementsEqual(".".utf8) && !segment.elementsEqual("..".utf8), "dot segment in resolved path; \(context())")
        require(!segment.isEmpty || index == segments.count - 1, "empty segment in resolved path; \(context())")
    }
    if case .root = location.source {
        // root appends the whole request path.
        let expected = (trimmed == [UInt8(ascii: "/")] ? [] : trimmed) + Array(path.utf8)
        require(bytes == expected, "root did not append the path; \(context())")
    }
}

/// RFC 3986 §5.2.4 written the plain way, as a second opinion: split the path at "/", percent-decode each
/// segment, then walk "." and ".." over a stack. A decoded "/" stays inside its segment.
private func referenceParse(_ raw: [UInt8]) -> Result<RequestTarget, Refusal> {
    guard !raw.isEmpty else { return .failure(Refusal(reason: "empty")) }
    guard raw.allSatisfy({ $0 > 0x20 && $0 != 0x7F && $0 != UInt8(ascii: "#") }) else { return .failure(Refusal(reason: "bad byte")) }
    let questionMark = raw.firstIndex(of: UInt8(ascii: "?"))
    let query = questionMark.map { String(decoding: raw[($0 + 1)...], as: UTF8.self) } ?? ""
    var path = Array(raw[..<(questionMark ?? raw.count)])
    if raw == [UInt8(ascii: "*")] { return .success(RequestTarget(path: "*")) }

    var authority: String?
    if path.first != UInt8(ascii: "/") {
        let lowered = raw.prefix(8).map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        let scheme = lowered.starts(with: "https://".utf8) ? 8 : lowered.starts(with: "http://".utf8) ? 7 : 0
        guard scheme > 0 else { return .failure(Refusal(reason: "form")) }
        guard scheme <= path.count else { return .failure(Refusal(reason: "authority in query")) }
        let rest = path[scheme...]
        let end = rest.firstIndex(of: UInt8(ascii: "/")) ?? path.count
        let host = path[scheme..<end]
        let allowed = Array("-._~!$&'()*+,;=:[]%".utf8)
        guard !host.isEmpty, host.allSatisfy({ byte in
            (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || allowed.contains(byte)
        }) else { return .failure(Refusal(reason: "authority")) }
        // Past the byte classes, the host/port grammar (IPv6 literals, ports) is HostSyntax's, tested by its table.
        guard host.withUnsafeBufferPointer({ HostSyntax.isValid($0) }) else { return .failure(Refusal(reason: "host")) }
        authority = String(decoding: host, as: UTF8.self)
        path = Array(path[end...])
    }

    var stack: [[UInt8]] = []
    var encodedSlash = false
    var decoded = false
    let pieces = path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
    var trailingSlash = path.last == UInt8(ascii: "/")
    for piece in pieces where !piece.isEmpty {
        var segment: [UInt8] = []
        var i = piece.startIndex
        while i < piece.endIndex {
            if piece[i] == UInt8(ascii: "%") {
                guard i + 2 < piece.endIndex, let high = hexDigit(piece[i + 1]), let low = hexDigit(piece[i + 2])
                else { return .failure(Refusal(reason: "escape")) }
                let byte = high << 4 | low
                guard byte >= 0x20 && byte != 0x7F else { return .failure(Refusal(reason: "control")) }
                if byte == UInt8(ascii: "/") { encodedSlash = true }
                decoded = true
                segment.append(byte)
                i += 3
            } else {
                segment.append(piece[i])
                i += 1
            }
        }
        // The last segment decides the trailing slash: "/a/b/.." is "/a/", as is "/a/b/../".
        trailingSlash = path.last == UInt8(ascii: "/")
        if segment == [UInt8(ascii: ".")] {
            trailingSlash = true
        } else if segment == [UInt8(ascii: "."), UInt8(ascii: ".")] {
            if !stack.isEmpty { stack.removeLast() }
            trailingSlash = true
        } else {
            stack.append(segment)
        }
    }
    var out: [UInt8] = [UInt8(ascii: "/")] + stack.joined(separator: [UInt8(ascii: "/")])
    if trailingSlash && !stack.isEmpty { out.append(UInt8(ascii: "/")) }
    let text: String
    if decoded {
        guard let valid = String(validating: out, as: UTF8.self) else { return .failure(Refusal(reason: "utf-8")) }
        text = valid
    } else {
        text = String(decoding: out, as: UTF8.self)
    }
    return .success(RequestTarget(path: text, query: query, authority: authority, hasEncodedSlash: encodedSlash))
}

private struct Refusal: Error {
    var reason: String
}

private func hexDigit(_ byte: UInt8) -> UInt8? {
    switch byte {
    case 0x30...0x39: return byte - 0x30
    case 0x41...0x46: return byte - 0x41 + 10
    case 0x61...0x66: return byte - 0x61 + 10
    default: return nil
    }
}
