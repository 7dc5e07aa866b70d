/// Whether a client takes a gzip-encoded body (`gzip_static`), by its Accept-Encoding (RFC 9110 §12.5.3).
enum GzipNegotiation {
    /// `gzip` (or its old alias `x-gzip`) with a weight above zero, or else `*` with one. Without the field, or
    /// with an empty one, the plain file is served: nginx's rule, and what a client that never asked expects.
    static func accepts(_ headers: Headers) -> Bool {
        let field = headers.values(named: "accept-encoding").joined(separator: ",")
        guard !field.isEmpty else { return false }
        var star: Int?
        for (name, quality) in CharsetNegotiation.parse(field) {
            switch name {
            case "gzip", "x-gzip": return quality > 0
            case "*": star = quality
            default: break
            }
        }
        return (star ?? 0) > 0
    }
}
