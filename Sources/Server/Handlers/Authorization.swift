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

    /// What the check says of a request.
    enum Verdict {
        /// Let through: the location is open (`user` nil), or `user` gave valid credentials.
        case allowed(user: String?)
        /// The 401 with its challenge, or 429 for an address that failed too often.
        case denied(Response)
    }

    /// Checks the request's Basic credentials once; the user found is the one REMOTE_USER names.
    mutating func check(_ request: RoutedRequest, from client: String) -> Verdict {
        guard let realm = request.location.authRealm else { return .allowed(user: nil) }
        guard let users = request.location.authUsers else {
            return .denied(errorPages.response(.internalServerError, for: request))
        }
        if let field = request.head.headers["authorization"],
           let credentials = BasicAuth.credentials(fromAuthorization: field) {
            switch credentialCache.check(credentials, against: users, from: client, now: ContinuousClock.now) {
            case .allowed:
                return .allowed(user: credentials.user)
            case .throttled(let seconds):
                // RFC 6585 §4: too many failed attempts from this address; no crypt() is run for it meanwhile.
                var response = errorPages.response(.tooManyRequests, for: request)
                response.headers.append(("Retry-After", String(seconds)))
                return .denied(response)
            case .refused:
                break
            }
        }
        var response = errorPages.response(.unauthorized, for: request)
        response.headers.append(("WWW-Authenticate", BasicAuth.challenge(realm: realm)))
        return .denied(response)
    }
}
