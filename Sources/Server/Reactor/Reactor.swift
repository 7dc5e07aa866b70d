import CSelect

/// The one select(). Each pass, the owners of descriptors declare read and write interest into the two
/// sets, together; `wait` then blocks until a declared descriptor is ready or the nearest deadline comes,
/// and the sets say what is ready. Nothing reads or writes a descriptor these sets did not report.
struct Reactor {
    var readable = FDSet()
    var writable = FDSet()
    /// Room the sets keep between passes: one past the highest descriptor seen, plus slack.
    private var capacity: Int32 = 3

    /// Empties both sets for a new pass.
    mutating func beginPass() {
        readable.removeAll(capacity: capacity)
        writable.removeAll(capacity: capacity)
    }

    /// A new descriptor may be declared from now on.
    mutating func admit(_ descriptor: Descriptor) {
        capacity = max(capacity, descriptor.raw + 2)
    }

    /// select() on both sets until `deadline` at the latest. false when it failed (interrupted by a signal,
    /// which the caller checks): the sets then report nothing and must not be acted on.
    mutating func wait(until deadline: ContinuousClock.Instant, now: ContinuousClock.Instant) -> Bool {
        let limit = max(readable.limit, writable.limit)
        let (seconds, attoseconds) = max(Duration.zero, deadline - now).components
        let microseconds = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        let ready = readable.withSelectPointer(nfds: limit) { r in
            writable.withSelectPointer(nfds: limit) { w in cselect_select(limit, r, w, microseconds) }
        }
        if ready < 0 {
            readable.removeAll(capacity: capacity)
            writable.removeAll(capacity: capacity)
        }
        return ready >= 0
    }
}
