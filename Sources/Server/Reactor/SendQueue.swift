/// Bytes waiting to go out on a descriptor, held in blocks lent by a BufferPool: appended at the back, sent
/// from the front, one contiguous piece per send(). A body already in memory larger than the room left is
/// queued by reference instead of copied. An empty queue holds no block.
///
/// Paths that move bulk bytes (file bodies, CGI output, spooled bodies) first reserve room with
/// `reserveBulk`, and wait without declaring interest when the pool has none. Small appends (heads) take a
/// block when the last one is full; only if the pool has none left do they go to a small heap array, so an
/// append never fails.
struct SendQueue {
    private enum Piece {
        /// Bytes `start..<end` of a pool block are pending.
        case block(BufferPool.Block, start: Int, end: Int)
        /// An array queued as it is (a body already in memory, or heads written while the pool was empty).
        case bytes([UInt8], start: Int)
    }

    let pool: BufferPool
    private var pieces: [Piece] = []
    /// Bytes queued and not yet sent.
    private(set) var pending = 0
    /// Every byte ever appended: the difference between two readings is what was queued in between.
    private(set) var appended = 0

    init(pool: BufferPool) { self.pool = pool }

    var isEmpty: Bool { pending == 0 }

    /// Free bytes after the last pending byte, in the last block (0 when the queue ends with an array).
    var tailRoom: Int {
        guard case .block(let block, _, let end)? = pieces.last else { return 0 }
        return block.capacity - end
    }

    // MARK: Reserving room

    /// Makes sure `minimum` bytes can be appended into the last block, taking one if needed: a bulk block
    /// for `bulk`, else a small one (or a bulk one when no small one is left).
    mutating func reserve(_ minimum: Int, bulk: Bool) -> Bool {
        if tailRoom >= minimum { return true }
        guard let block = bulk ? pool.take(bulk: true) : pool.take(bulk: false) ?? pool.take(bulk: true) else {
            return false
        }
        appendPiece(.block(block, start: 0, end: 0))
        return true
    }

    /// Makes sure `minimum` bytes of room in a bulk block follow the pending bytes. `run`: a long stream asks
    /// for a run of bulk blocks, which it gets while the pool has headroom.
    mutating func reserveBulk(_ minimum: Int, run: Bool = false) -> Bool {
        if case .block(let block, _, let end)? = pieces.last, block.isBulk, block.capacity - end >= minimum {
            return true
        }
        guard let block = (run ? pool.takeRun() : nil) ?? pool.take(bulk: true) else { return false }
        appendPiece(.block(block, start: 0, end: 0))
        return true
    }

    /// Lends the room of the last block (at most `maximum` bytes) to `fill`, which returns how many bytes
    /// it wrote there (a read() count); those become pending. Returns that count.
    mutating func fill(maximum: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Int) -> Int {
        guard case .block(let block, let start, let end)? = pieces.last else { return 0 }
        let room = min(maximum, block.capacity - end)
        guard room > 0 else { return 0 }
        let count = fill(UnsafeMutableRawBufferPointer(rebasing: pool.bytes(of: block)[end..<(end + room)]))
        if count > 0 {
            pieces[pieces.count - 1] = .block(block, start: start, end: end + count)
            pending += count
            appended += count
        }
        return count
    }

    // MARK: Appending

    mutating func append(_ raw: UnsafeRawBufferPointer) {
        var rest = raw
        while !rest.isEmpty {
            if case .block(let block, let start, let end)? = pieces.last, end < block.capacity {
                let count = min(rest.count, block.capacity - end)
                UnsafeMutableRawBufferPointer(rebasing: pool.bytes(of: block)[end..<(end + count)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: rest[..<count]))
                pieces[pieces.count - 1] = .block(block, start: start, end: end + count)
                record(count)
                rest = UnsafeRawBufferPointer(rebasing: rest[count...])
            } else if let block = takeBlockToGrow() {
                appendPiece(.block(block, start: 0, end: 0))
            } else {
                appendToHeap(rest)
                return
            }
        }
    }

    mutating func append(_ more: [UInt8]) { more.withUnsafeBytes { append($0) } }

    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    mutating func append(byte: UInt8) { withUnsafeBytes(of: byte) { append($0) } }

    /// A body already in memory: copied when it fits the room left (one send() with the head), else queued
    /// by reference, which costs no pool memory.
    mutating func appendBody(_ body: [UInt8]) {
        if body.count <= tailRoom {
            append(body)
        } else if !body.isEmpty {
            appendPiece(.bytes(body, start: 0))
            record(body.count)
        }
    }

    /// A block of the kind the queue ends with (a head after bulk bytes stays out of the reserve), else any.
    private func takeBlockToGrow() -> BufferPool.Block? {
        let bulk: Bool
        if case .block(let block, _, _)? = pieces.last { bulk = block.isBulk } else { bulk = false }
        return pool.take(bulk: bulk) ?? pool.take(bulk: !bulk)
    }

    /// The pool is empty: a head still goes out, from a small array of its own.
    private mutating func appendToHeap(_ raw: UnsafeRawBufferPointer) {
        if case .bytes(var array, let start)? = pieces.last {
            pieces[pieces.count - 1] = .bytes([], start: 0)
            array.append(contentsOf: raw)
            pieces[pieces.count - 1] = .bytes(array, start: start)
        } else {
            appendPiece(.bytes(Array(raw), start: 0))
        }
        record(raw.count)
    }

    /// Adds a piece at the back. A block reserved and left empty is given back first: only the last piece may
    /// be empty, so a send() always has bytes to send.
    private mutating func appendPiece(_ piece: Piece) {
        if case .block(let block, let start, let end)? = pieces.last, start == end {
            pool.giveBack(block)
            pieces.removeLast()
        }
        pieces.append(piece)
    }

    private mutating func record(_ count: Int) {
        pending += count
        appended += count
    }

    // MARK: Sending

    /// One send() of the first pending piece (call only when select() reported the socket writable).
    /// Returns send()'s count: > 0 progress, otherwise the peer is gone.
    mutating func send(to socket: Descriptor) -> Int {
        let count = withPending { socket.send($0) }
        if count > 0 { consume(count) }
        return count
    }

    /// One write() to a pipe or file (select() reported it writable); same count semantics as `send(to:)`.
    mutating func send(toPipe pipe: Descriptor) -> Int {
        let count = withPending { pipe.write($0) }
        if count > 0 { consume(count) }
        return count
    }

    /// Lends the first piece's pending bytes (empty when nothing is pending).
    func withPending<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        switch pieces.first {
        case .block(let block, let start, let end)?:
            return body(UnsafeRawBufferPointer(rebasing: pool.bytes(of: block)[start..<end]))
        case .bytes(let array, let start)?:
            return array.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        case nil:
            return body(UnsafeRawBufferPointer(start: nil, count: 0))
        }
    }

    /// Marks `count` bytes of the first piece as gone; a piece sent whole is dropped (its block given back).
    mutating func consume(_ count: Int) {
        pending -= count
        switch pieces[0] {
        case .block(let block, let start, let end):
            if start + count < end {
                pieces[0] = .block(block, start: start + count, end: end)
            } else {
                pool.giveBack(block)
                pieces.removeFirst()
            }
        case .bytes(let array, let start):
            if start + count < array.count {
                pieces[0] = .bytes(array, start: start + count)
            } else {
                pieces.removeFirst()
            }
        }
    }

    /// Gives back the blocks of an empty queue (one reserved and not yet filled) and frees its list: an idle
    /// connection holds nothing.
    mutating func releaseStorage() {
        guard isEmpty else { return }
        discardAll()
        pieces = []
    }

    /// Drops every pending byte and gives back every block.
    mutating func discardAll() {
        for piece in pieces {
            if case .block(let block, _, _) = piece { pool.giveBack(block) }
        }
        pieces.removeAll(keepingCapacity: true)
        pending = 0
    }
}
