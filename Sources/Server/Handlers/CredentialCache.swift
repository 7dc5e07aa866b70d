/// Basic-auth verdicts kept off the loop's critical path: crypt() is deliberately slow and runs on the one
/// loop thread, so a browser's fifty requests with the same credentials must cost one hash, and a client
/// guessing passwords must not be able to keep the loop hashing.
///
/// Verified credentials are remembered by a SipHash of (stored hash, user, password) under a key drawn at
/// start-up, never the password itself; a failed password is never remembered. Failed attempts are counted
/// per client address in a token bucket: `burst` failures at once, then one more per `refill`; a client with
/// no token left gets 429 without any hashing until it earns one.
struct CredentialCache {
    enum Verdict: Equatable {
        case allowed
        case refused
        /// Too many failures from this address: try again in this many seconds.
        case throttled(retryAfter: Int)
    }

    private let key: SecretKey
    /// Keyed hash of a verified (hash, user, password) → when it stops being trusted.
    private var verified: [UInt64: ContinuousClock.Instant] = [:]
    /// Client address → failure tokens left and when they were last counted.
    private var buckets: [String: Bucket] = [:]

    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    /// Bounds: a full table is emptied rather than searched for its oldest entry (each costs one crypt() to
    /// refill, or nothing, for buckets).
    static let capacity = 4096
    /// A verified password is trusted this long; a changed user file needs a restart (or, later, a reload)
    /// anyway, and this keeps a stolen session from living forever in memory.
    static let lifetime = Duration.seconds(600)
    static let burst = 10.0
    static let refill = Duration.seconds(1)

    init(key: SecretKey) { self.key = key }

    mutating func check(_ credentials: BasicAuth.Credentials, against users: UserFile, from client: String,
                        now: ContinuousClock.Instant) -> Verdict {
        check(credentials, storedHash: users.hashes[credentials.user], from: client, now: now,
              verify: { users.verify($0) })
    }

    /// `verify` is the crypt() comparison, run only when the verdict is not already known.
    mutating func check(_ credentials: BasicAuth.Credentials, storedHash stored: String?, from client: String,
                        now: ContinuousClock.Instant, verify: (BasicAuth.Credentials) -> Bool) -> Verdict {
        let fingerprint = stored.map { self.fingerprint(stored: $0, credentials) }
        if let fingerprint, let until = verified[fingerprint] {
            if now < until { return .allowed }
            verified[fingerprint] = nil
        }
        var bucket = buckets[client] ?? Bucket(tokens: CredentialCache.burst, updated: now)
        bucket.tokens = min(CredentialCache.burst, bucket.tokens + (now - bucket.updated) / CredentialCache.refill)
        bucket.updated = now
        guard bucket.tokens >= 1 else {
            buckets[client] = bucket
            let wait = CredentialCache.refill * (1 - bucket.tokens)
            let (seconds, fraction) = wait.components
            return .throttled(retryAfter: max(1, Int(seconds) + (fraction > 0 ? 1 : 0)))
        }
        if let fingerprint, verify(credentials) {
            if verified.count >= CredentialCache.capacity { verified.removeAll(keepingCapacity: true) }
            verified[fingerprint] = now + CredentialCache.lifetime
            return .allowed
        }
        bucket.tokens -= 1
        if buckets[client] == nil && buckets.count >= CredentialCache.capacity {
            buckets.removeAll(keepingCapacity: true)
        }
        buckets[client] = bucket
        return .refused
    }

    /// How many verified credentials are remembered (for tests).
    var verifiedCount: Int { verified.count }

    private func fingerprint(stored: String, _ credentials: BasicAuth.Credentials) -> UInt64 {
        var bytes = Array(stored.utf8)
        bytes.append(0)
        bytes.append(contentsOf: credentials.user.utf8)
        bytes.append(0)
        bytes.append(contentsOf: credentials.password)
        defer { bytes.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
        return key.hash(bytes)
    }
}
