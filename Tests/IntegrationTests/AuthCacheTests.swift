import Foundation
import Testing

extension Integration {
    /// crypt() runs on the loop: verified credentials are remembered (one hash for a browser's many requests),
    /// and an address that keeps failing is answered 429 without hashing.
    @Suite struct BasicAuthCost {
        typealias F = AuthFixture

        /// bcrypt at cost 13 takes about half a second a hash here: twenty requests that each hashed would take
        /// ten seconds, remembered they take one hash.
        @Test func manyRequestsWithTheSameCredentialsCostOneHash() throws {
            let site = try TestSite()
            let line = try Subprocess.output("htpasswd", arguments: ["-nbB", "-C", "13", "demo", "demo"])
                .trimmingCharacters(in: .whitespacesAndNewlines)
            try site.write("users", line + "\n", inDocroot: false)
            try site.write("members/index.html", F.page)
            let server = try Webserv.start("""
                server {
                    listen 127.0.0.1:@PORT@;
                    root @ROOT@;
                    location /members/ { auth_basic "M"; auth_basic_user_file @DIR@/users; }
                }
                """, site: site)
            defer { server.stop() }
            let first = ContinuousClock.now
            #expect(try server.get("/members/", headers: [F.basic("demo", "demo")]).status == 200)
            let oneHash = ContinuousClock.now - first
            let rest = ContinuousClock.now
            for _ in 0..<20 {
                let response = try server.get("/members/", headers: [F.basic("demo", "demo")])
                #expect(response.status == 200)
                #expect(response.text == F.page)
            }
            let twenty = ContinuousClock.now - rest
            #expect(twenty < oneHash * 5, "20 remembered requests took \(twenty), one hash \(oneHash)")
        }

        @Test func repeatedFailuresFromOneAddressGet429WithRetryAfter() throws {
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            var statuses: [Int] = []
            var throttled: HTTPResponse?
            for attempt in 0..<14 {
                let response = try server.get("/members/index.html", headers: [F.basic("demo", "guess\(attempt)")])
                statuses.append(response.status)
                if response.status == 429 && throttled == nil { throttled = response }
            }
            #expect(statuses.prefix(10).allSatisfy { $0 == 401 }, "\(statuses)")
            #expect(statuses.suffix(3).allSatisfy { $0 == 429 }, "\(statuses)")
            let response = try #require(throttled)
            #expect(Int(response.header("Retry-After") ?? "") ?? 0 >= 1)
            #expect(!response.text.contains("members only"))
            // The right password does not get through a throttled address either, until a token is back.
            #expect(try server.get("/members/index.html", headers: [F.basic("demo", "demo")]).status == 429)
            usleep(1_200_000)
            #expect(try server.get("/members/index.html", headers: [F.basic("demo", "demo")]).status == 200)
        }
    }
}
