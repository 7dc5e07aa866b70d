#if canImport(Glibc)
import Glibc
#endif

/// Answers to the files asked for most, ready to send. A plain GET of a small cached file then costs one
/// dictionary lookup instead of routing, path mapping, a stat() and a response built anew.
///
/// An answer is trusted for at most a second, as lighttpd's stat cache and nginx's `open_file_cache` trust
/// theirs. After that its file is stat()ed again, and a changed or missing file drops the answer. The server's
/// own writes (PUT, uploads, DELETE) drop every answer at once. A missing file is never remembered: a file
/// that another program creates shows at once.
///
/// Only a 200 for a regular file named directly by the path is remembered: not an index, a variant, a
/// listing or an error page, and nothing from a location with authentication.
final class HotResponses {
    /// A ready answer, and the timeouts of the virtual server that gave it (they govern the connection next).
    struct Answer {
        let response: Response
        let timeouts: Timeouts
    }

    /// What decides the answer before any routing: where the request arrived, its Host and its target; a class,
    /// so a hit copies one reference. The table is keyed by a hash of these bytes (Swift's Hasher, seeded at random per process, so nobody can
    /// aim collisions at it); the entry keeps them to confirm a match, so a lookup builds no String.
    private final class Entry {
        let local: Endpoint
        /// The Host value (absent: empty) and the target, as sent.
        let host: [UInt8]
        let target: [UInt8]
        let answer: Answer
        let path: String
        let identity: FileIdentity
        var checkedAt: ContinuousClock.Instant

        init(local: Endpoint, host: [UInt8], target: [UInt8], answer: Answer, path: String, identity: FileIdentity,
             checkedAt: ContinuousClock.Instant) {
            self.local = local
            self.host = host
            self.target = target
            self.answer = answer
            self.path = path
            self.identity = identity
            self.checkedAt = checkedAt
        }
    }

    private var entries: [Int: Entry] = [:]

    /// How long an answer is served without a stat().
    static let trustedFor = Duration.seconds(1)
    /// Past this many answers the table starts over (a forgotten answer costs one slow request).
    static let maxEntries = 1024

    /// A plain GET: no body, no conditional or range header (those take the full path).
    static func mayAnswer(_ head: RequestHead) -> Bool {
        guard head.method == .get else { return false }
        let headers = head.headers
        return !headers.contains("content-length") && !headers.contains("transfer-encoding")
            && !headers.contains("if-none-match") && !headers.contains("if-modified-since")
            && !headers.contains("if-match") && !headers.contains("if-unmodified-since")
            && !headers.contains("range") && !headers.contains("if-range")
    }

    /// The remembered answer to this request, checked against its file once its second of trust is over.
    func answer(for head: RequestHead, arrivingOn local: Endpoint, now: ContinuousClock.Instant) -> Answer? {
        guard !entries.isEmpty, HotResponses.mayAnswer(head) else { return nil }
        let host = head.headers.rawValue(named: "host") ?? []
        var target = head.target
        return target.withUTF8 { target -> Answer? in
            host.withUnsafeBytes { host -> Answer? in
                let key = HotResponses.key(local, host, UnsafeRawBufferPointer(target))
                guard let entry = entries[key], entry.local == local,
                      entry.host.withUnsafeBytes({ HotResponses.same($0, host) }),
                      entry.target.withUnsafeBytes({ HotResponses.same($0, UnsafeRawBufferPointer(target)) })
                else { return nil }
                if now - entry.checkedAt >= HotResponses.trustedFor {
                    guard case .regular(let identity) = FileInfo.lookUp(entry.path), identity == entry.identity else {
                        entries[key] = nil
                        return nil
                    }
                    entry.checkedAt = now
                }
                return entry.answer
            }
        }
    }

    /// Remembers the answer just built for `request` from the file at `path`, as it was at `identity`.
    func remember(_ response: Response, path: String, identity: FileIdentity, for request: RoutedRequest,
                  now: ContinuousClock.Instant) {
        guard let local = request.arrivedOn, HotResponses.mayAnswer(request.head) else { return }
        if entries.count >= HotResponses.maxEntries { entries.removeAll(keepingCapacity: true) }
        let host = Array(request.head.headers.rawValue(named: "host") ?? [])
        let target = Array(request.head.target.utf8)
        let key = host.withUnsafeBytes { host in
            target.withUnsafeBytes { target in HotResponses.key(local, host, target) }
        }
        entries[key] = Entry(local: local, host: host, target: target,
                             answer: Answer(response: response, timeouts: request.server.timeouts), path: path,
                             identity: identity, checkedAt: now)
    }

    private static func key(_ local: Endpoint, _ host: UnsafeRawBufferPointer, _ target: UnsafeRawBufferPointer)
        -> Int {
        var hasher = Hasher()
        hasher.combine(local.port)   // the address is compared on a match: hashing its String costs more
        hasher.combine(host.count)
        hasher.combine(bytes: host)
        hasher.combine(bytes: target)
        return hasher.finalize()
    }

    private static func same(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        a.count == b.count && (a.isEmpty || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
    }

    /// The server wrote or removed a file: nothing remembered may be trusted.
    func removeAll() {
        entries.removeAll()
    }
}
