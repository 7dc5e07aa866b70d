/// HTTP Basic authentication of requests to a location with `auth_basic` (RFC 7617), checked after `return`
/// and before the method, as nginx's access phase.
struct Authorization {
    private let errorPages: ErrorPages
    private var credentialCache: CredentialCache

    /// `secretKey` keys the credential cache (the server's one key, drawn at start-up).
    init(errorPages: ErrorPages, secretKey: SecretKey) {
        self.errorPages = errorPages
        credentialCache = CredentialCache(key: secretKey)
    }

    /// nil when the location is open or the request carries valid Basic credentials; else the 401 with its
    /// challenge, or 429 for an address that failed too often.
    mutating func failure(for request: RoutedRequest, from client: String) -> Response? {
        guard let realm = request.location.authRealm else { return nil }
        guard let users = request.location.authUsers else {
            return errorPages.response(.internalServerError, for: request)
        }
        if let field = request.head.headers["authorization"],
           let credentials = BasicAuth.credentials(fromAuthorization: field) {
            switch credentialCache.check(credentials, against: users, from: client, now: ContinuousClock.now) {
            case .allowed:
                return nil
            case .throttled(let seconds):
                // RFC 6585 §4: too many failed attempts from this address; no crypt() is run for it meanwhile.
                var response = errorPages.response(.tooManyRequests, for: request)
                response.headers.append(("Retry-After", String(seconds)))
                return response
            case .refused:
                break
            }
        }
        var response = errorPages.response(.unauthorized, for: request)
        response.headers.append(("WWW-Authenticate", BasicAuth.challenge(realm: realm)))
        return response
    }

    /// The authenticated user of a request (for REMOTE_USER), once `failure(for:from:)` let it through.
    static func remoteUser(of request: RoutedRequest) -> String? {
        guard request.location.authRealm != nil, let field = request.head.headers["authorization"] else { return nil }
        return BasicAuth.credentials(fromAuthorization: field)?.user
    }
}
