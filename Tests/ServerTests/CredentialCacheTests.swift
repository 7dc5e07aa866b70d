import Testing
@testable import Server

@Suite struct CredentialCacheTests {
    private let demo = BasicAuth.Credentials(user: "demo", password: Array("demo".utf8))
    private let start = ContinuousClock.now

    /// Runs one check with a stand-in for crypt() that counts its calls and accepts only "demo".
    private func check(_ cache: inout CredentialCache, _ credentials: BasicAuth.Credentials, from client: String = "10.0.0.1",
                       at seconds: Double = 0, hashes: inout Int) -> CredentialCache.Verdict {
        cache.check(credentials, storedHash: credentials.user == "demo" ? "$2y$05$stored" : nil, from: client,
                    now: start + .milliseconds(Int(seconds * 1000))) { given in
            hashes += 1
            return given.password == Array("demo".utf8)
        }
    }

    @Test func fiftyRequestsWithTheSameCredentialsCostOneHash() {
        var cache = CredentialCache(key: SecretKey.draw())
        var hashes = 0
        for _ in 0..<50 { #expect(check(&cache, demo, hashes: &hashes) == .allowed) }
        #expect(hashes == 1)
    }

    @Test func aFailedPasswordIsNeverRemembered() {
        var cache = CredentialCache(key: SecretKey.draw())
        var hashes = 0
        let wrong = BasicAuth.Credentials(user: "demo", password: Array("guess".utf8))
        #expect(check(&cache, wrong, hashes: &hashes) == .refused)
        #expect(check(&cache, wrong, at: 1, hashes: &hashes) == .refused)
        #expect(hashes == 2)
        #expect(cache.verifiedCount == 0)
    }

    @Test func anotherPasswordForARememberedUserIsHashedAndRefused() {
        var cache = CredentialCache(key: SecretKey.draw())
        var hashes = 0
        #expect(check(&cache, demo, hashes: &hashes) == .allowed)
        let other = BasicAuth.Credentials(user: "demo", password: Array("demo2".utf8))
        #expect(check(&cache, other, hashes: &hashes) == .refused)
        #expect(hashes == 2)
    }

    @Test func failuresFromOneAddressAreThrottledWithoutHashingAndOthersAreNot() {
        var cache = CredentialCache(key: SecretKey.draw())
        var hashes = 0
        let wrong = BasicAuth.Credentials(user: "demo", password: Array("guess".utf8))
        for _ in 0..<Int(CredentialCache.burst) { #expect(check(&cache, wrong, hashes: &hashes) == .refused) }
        #expect(check(&cache, wrong, hashes: &hashes) == .throttled(retryAfter: 1))
        #expect(check(&cache, demo, hashes: &hashes) == .throttled(retryAfter: 1), "no hashing at all while throttled")
        #expect(hashes == Int(CredentialCache.burst))
        #expect(check(&cache, demo, from: "10.0.0.2", hashes: &hashes) == .allowed)
        // One token back a second later.
        #expect(check(&cache, wrong, at: 1.01, hashes: &hashes) == .refused)
        #expect(check(&cache, wrong, at: 1.02, hashes: &hashes) == .throttled(retryAfter: 1))
    }

    @Test func aRememberedUserIsNotThrottledByFailuresFromItsAddress() {
        var cache = CredentialCache(key: SecretKey.draw())
        var hashes = 0
        #expect(check(&cache, demo, hashes: &hashes) == .allowed)
        let wrong = BasicAuth.Credentials(user: "demo", password: Array("guess".utf8))
        for _ in 0..<20 { _ = check(&cache, wrong, hashes: &hashes) }
        #expect(check(&cache, demo, hashes: &hashes) == .allowed)
    }

    @Test func aVerifiedPasswordIsTrustedForItsLifetimeOnly() {
        var cache = CredentialCache(key: SecretKey.draw())
        var hashes = 0
        #expect(check(&cache, demo, hashes: &hashes) == .allowed)
        let later = Double(CredentialCache.lifetime.components.seconds) + 1
        #expect(check(&cache, demo, at: later, hashes: &hashes) == .allowed)
        #expect(hashes == 2)
    }
}
