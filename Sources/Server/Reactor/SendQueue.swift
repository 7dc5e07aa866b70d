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
    /// Pieces before the tail, oldest first. Most answers fit the tail alone and never allocate this list.
    private var pieces: [Piece] = []
    /// The block bytes are appended to, after every piece: kept out of `pieces` so an append updates two
    /// integers and touches no array. Its bytes `tailStart..<tailEnd` are pending.
    private var tail: BufferPool.Block?
    private var tailStart = 0
    private var tailEnd = 0
    /// Bytes queued and not yet sent.
    private(set) var pending = 0
    /// Every byte ever appended: the difference between two readings is what was queued in between.
    private(set) var appended = 0

    init(pool: BufferPool) { self.pool = pool }

    var isEmpty: Bool { pending == 0 }

    /// Free bytes after the last pending byte, in the tail block (0 when the queue ends with an array).
    var tailRoom: Int {
        guard let tail else { return 0 }
        return tail.capacity - tailEnd
    }

    // MARK: Reserving room

    /// Makes sure `minimum` bytes can be appended into the last block, taking one if needed: a bulk block
    /// for `bulk`, else a small one (or a bulk one when no small one is left).
    mutating func reserve(_ minimum: Int, bulk: Bool) -> Bool {
        if tailRoom >= minimum { return true }
        guard let block = bulk ? pool.take(bulk: true) : pool.take(bulk: false) ?? pool.take(bulk: true) else {
            return false
        }
        startTail(block)
        return true
    }

    /// Makes sure `minimum` bytes of room in a bulk block follow the pending bytes. `run`: a long stream asks
    /// for a run of bulk blocks, which it gets while the pool has headroom.
    mutating func reserveBulk(_ minimum: Int, run: Bool = false) -> Bool {
        if let tail, tail.isBulk, tail.capacity - tailEnd >= minimum { return true }
        guard let block = (run ? pool.takeRun() : nil) ?? pool.take(bulk: true) else { return false }
        startTail(block)
        return true
    }

    /// Lends the room of the tail block (at most `maximum` bytes) to `fill`, which returns how many bytes
    /// it wrote there (a read() count); those become pending. Returns that count.
    mutating func fill(maximum: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Int) -> Int {
        guard let tail else { return 0 }
        let room = min(maximum, tail.capacity - tailEnd)
        guard room > 0 else { return 0 }
        let count = fill(UnsafeMutableRawBufferPointer(rebasing: pool.bytes(of: tail)[tailEnd..<(tailEnd + room)]))
        if count > 0 {
            tailEnd += count
            record(count)
        }
        return count
    }

    // MARK: Appending

    mutating func append(_ raw: UnsafeRawBufferPointer) {
        var rest = raw
        while !rest.isEmpty {
            if let tail, tailEnd < tail.capacity {
                let count = min(rest.count, tail.capacity - tailEnd)
                (pool.bytes(of: tail).baseAddress! + tailEnd).copyMemory(from: rest.baseAddress!, byteCount: count)
                tailEnd += count
                record(count)
                rest = UnsafeRawBufferPointer(rebasing: rest[count...])
            } else if let block = takeBlockToGrow() {
                startTail(block)
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
            closeTail()
            pieces.append(.bytes(body, start: 0))
            record(body.count)
        }
    }

    /// A block of the kind the tail is (a head after bulk bytes stays out of the reserve), else any.
    private func takeBlockToGrow() -> BufferPool.Block? {
        let bulk = tail?.isBulk ?? false
        return pool.take(bulk: bulk) ?? pool.take(bulk: !bulk)
    }

    /// The pool is empty: a head still goes out, from a small array of its own.
    private mutating func appendToHeap(_ raw: UnsafeRawBufferPointer) {
        closeTail()
        if case .bytes(var array, let start)? = pieces.last {
            pieces[pieces.count - 1] = .bytes([], start: 0)
            array.append(contentsOf: raw)
            pieces[pieces.count - 1] = .bytes(array, start: start)
        } else {
            pieces.append(.bytes(Array(raw), start: 0))
        }
        record(raw.count)
    }

    /// Makes `block` the tail, the old tail becoming a piece.
    private mutating func startTail(_ block: BufferPool.Block) {
        closeTail()
        tail = block
        tailStart = 0
        tailEnd = 0
    }

    /// Moves the tail into the pieces, or gives it back when it holds nothing pending (room reserved and
    /// left empty): only the tail may be empty, so a send() always has bytes to send.
    private mutating func closeTail() {
        guard let block = tail else { return }
        if tailStart == tailEnd {
            pool.giveBack(block)
        } else {
            pieces.append(.block(block, start: tailStart, end: tailEnd))
        }
        tail = nil
    }

    @inline(__always)
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
            guard let tail else { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
            return body(UnsafeRawBufferPointer(rebasing: pool.bytes(of: tail)[tailStart..<tailEnd]))
        }
    }

    /// Marks `count` bytes of the first piece as gone; a piece sent whole is dropped (its block given back).
    mutating func consume(_ count: Int) {
        pending -= count
        guard !pieces.isEmpty else {
            tailStart += count
            if tailStart == tailEnd, let block = tail {
                pool.giveBack(block)
                tail = nil
            }
            return
        }
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
        if let tail { pool.giveBack(tail) }
        tail = nil
        tailStart = 0
        tailEnd = 0
        pending = 0
    }
}
