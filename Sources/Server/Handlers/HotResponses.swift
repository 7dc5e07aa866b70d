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
    /// A ready answer, keyed by what decides it before any routing: where the request arrived, its Host and
    /// its target. A class, so a hit copies one reference. The table is keyed by a hash of these bytes; the
    /// entry keeps them to confirm a match, so a lookup builds no String.
    final class Answer {
        let response: Response
        /// The timeouts of the virtual server that gave it (they govern the connection next).
        let timeouts: Timeouts
        /// The head's lines after Date, rendered once, and the body: a hit is written in five or six copies.
        private let fieldLines: [UInt8]
        private let body: [UInt8]
        fileprivate let local: Endpoint
        /// The Host value (absent: empty) and the target, as sent.
        fileprivate let host: [UInt8]
        fileprivate let target: [UInt8]
        fileprivate let path: String
        fileprivate let identity: FileIdentity
        fileprivate var checkedAt: ContinuousClock.Instant

        fileprivate init(response: Response, body: [UInt8], timeouts: Timeouts, local: Endpoint, host: [UInt8],
                         target: [UInt8], path: String, identity: FileIdentity, checkedAt: ContinuousClock.Instant) {
            self.response = response
            self.timeouts = timeouts
            self.fieldLines = ResponseWriter.fieldLines(of: response)
            self.body = body
            self.local = local
            self.host = host
            self.target = target
            self.path = path
            self.identity = identity
            self.checkedAt = checkedAt
        }

        /// Queues the answer's head, as `ResponseWriter.writeHead` would.
        func writeHead(into queue: inout SendQueue, dateLine: [UInt8], keepAlive: Bool, requestVersion: HTTPVersion) {
            queue.append(ResponseWriter.okLines)
            queue.append(dateLine)
            queue.append(fieldLines)
            ResponseWriter.appendEnd(keepAlive: keepAlive, requestVersion: requestVersion, into: &queue)
        }

        func writeBody(into queue: inout SendQueue) {
            queue.appendBody(body)
        }
    }

    private var entries: [Int: Answer] = [:]

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
        return target.withUTF8 { target in
            host.withUnsafeBytes { host in answer(host: host, target: UnsafeRawBufferPointer(target), arrivingOn: local, now: now) }
        }
    }

    /// The same for a head not yet built: its positions in `head`, the bytes it was scanned from.
    func answer(for get: PlainGet, in head: UnsafeRawBufferPointer, arrivingOn local: Endpoint,
                now: ContinuousClock.Instant) -> Answer? {
        guard !entries.isEmpty else { return nil }
        return answer(host: UnsafeRawBufferPointer(rebasing: head[get.host]),
                      target: UnsafeRawBufferPointer(rebasing: head[get.target]), arrivingOn: local, now: now)
    }

    private func answer(host: UnsafeRawBufferPointer, target: UnsafeRawBufferPointer, arrivingOn local: Endpoint,
                        now: ContinuousClock.Instant) -> Answer? {
        let key = self.key(local, host, target)
        guard let entry = entries[key], entry.local == local,
              entry.host.withUnsafeBytes({ HotResponses.same($0, host) }),
              entry.target.withUnsafeBytes({ HotResponses.same($0, target) })
        else { return nil }
        if now - entry.checkedAt >= HotResponses.trustedFor {
            guard case .regular(let identity) = FileInfo.lookUp(entry.path), identity == entry.identity else {
                entries[key] = nil
                return nil
            }
            entry.checkedAt = now
        }
        return entry
    }

    /// Remembers the answer just built for `request` from the file at `path`, as it was at `identity`.
    func remember(_ response: Response, path: String, identity: FileIdentity, for request: RoutedRequest,
                  now: ContinuousClock.Instant) {
        guard let local = request.arrivedOn, HotResponses.mayAnswer(request.head),
              case .bytes(let body) = response.body else { return }
        if entries.count >= HotResponses.maxEntries { entries.removeAll(keepingCapacity: true) }
        let host = Array(request.head.headers.rawValue(named: "host") ?? [])
        let target = Array(request.head.target.utf8)
        let key = host.withUnsafeBytes { host in
            target.withUnsafeBytes { target in self.key(local, host, target) }
        }
        entries[key] = Answer(response: response, body: body, timeouts: request.server.timeouts, local: local,
                              host: host, target: target, path: path, identity: identity, checkedAt: now)
    }

    /// Per process, from Swift's random hashing seed: which targets collide cannot be known from outside.
    private let seed: UInt64 = {
        var hasher = Hasher()
        hasher.combine(0x7765_6273_6572_76)
        return UInt64(truncatingIfNeeded: hasher.finalize())
    }()

    /// The port, the Host and the target folded eight bytes at a time, a multiply and a shift each: a
    /// fraction of SipHash's cost on every hit. A collision only costs a miss (entries confirm their bytes),
    /// and the seed keeps anyone from aiming one at a given file.
    private func key(_ local: Endpoint, _ host: UnsafeRawBufferPointer, _ target: UnsafeRawBufferPointer) -> Int {
        let h = HotResponses.fold(HotResponses.fold(seed ^ UInt64(local.port), host), target)
        return Int(truncatingIfNeeded: h)
    }

    private static func fold(_ start: UInt64, _ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15
        var h = start
        var i = 0
        while i + 8 <= bytes.count {
            h = (h ^ bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* multiplier
            h ^= h >> 29
            i += 8
        }
        // The last bytes, and the length: "ab" then "c" must not hash as "a" then "bc".
        var last = UInt64(bytes.count) << 56
        var shift: UInt64 = 0
        while i < bytes.count {
            last ^= UInt64(bytes[i]) << shift
            shift += 8
            i += 1
        }
        h = (h ^ last) &* multiplier
        return h ^ (h >> 32)
    }

    private static func same(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        a.count == b.count && (a.isEmpty || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
    }

    /// The server wrote or removed a file: nothing remembered may be trusted.
    func removeAll() {
        entries.removeAll()
    }
}
