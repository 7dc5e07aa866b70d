import Testing
@testable import Server

@Suite struct BufferPoolTests {
    @Test func threeQuartersAreBulkBlocksAndTheRestSmallOnes() {
        let pool = BufferPool(bytes: 1 << 20)
        #expect(pool.bulkCount == 12)
        #expect(pool.smallCount == 64)
        #expect(pool.byteCount == 1 << 20)
    }

    /// Bulk streaming cannot take the small blocks kept for heads, and the last block given back is lent first.
    @Test func bulkRunsOutWithoutTouchingTheSmallBlocks() {
        let pool = BufferPool(bytes: BufferPool.minimumBytes)
        var bulk: [BufferPool.Block] = []
        while let block = pool.take(bulk: true) { bulk.append(block) }
        #expect(bulk.count == 3)
        #expect(pool.smallFreeCount == 16)
        #expect(!pool.isExhausted)
        let last = pool.bytes(of: bulk[2]).baseAddress
        pool.giveBack(bulk[2])
        #expect(pool.take(bulk: true).map { pool.bytes(of: $0).baseAddress } == last)
        var small: [BufferPool.Block] = []
        while let block = pool.take(bulk: false) { small.append(block) }
        #expect(small.count == 16)
        #expect(pool.isExhausted)
        small.forEach(pool.giveBack)
        #expect(pool.smallFreeCount == 16)
    }

    @Test func blocksDoNotOverlap() {
        let pool = BufferPool(bytes: BufferPool.minimumBytes)
        var ranges: [Range<UInt>] = []
        for bulk in [true, false] {
            while let block = pool.take(bulk: bulk) {
                let bytes = pool.bytes(of: block)
                #expect(bytes.count == (bulk ? BufferPool.bulkBlockSize : BufferPool.smallBlockSize))
                let start = UInt(bitPattern: bytes.baseAddress)
                ranges.append(start..<(start + UInt(bytes.count)))
            }
        }
        ranges.sort { $0.lowerBound < $1.lowerBound }
        for (a, b) in zip(ranges, ranges.dropFirst()) { #expect(a.upperBound <= b.lowerBound) }
    }
}

/// Runs of adjacent bulk blocks: what lets one read() and one send() move 1 MiB of a large file.
@Suite struct BufferPoolRunTests {
    /// 64 MiB: 768 bulk blocks, room for 24 runs before half the bulk blocks are lent.
    static func pool() -> BufferPool { BufferPool(bytes: 64 << 20) }

    @Test func aRunIsOneContiguousBlockOfSixteenBulkBlocks() {
        let pool = Self.pool()
        let run = pool.takeRun()
        #expect(run?.capacity == BufferPool.runBlocks * BufferPool.bulkBlockSize)
        #expect(pool.bulkFreeCount == pool.bulkCount - BufferPool.runBlocks)
        // Runs come from the high end, single blocks from the low end: they never overlap.
        let single = pool.take(bulk: true)!
        let runBytes = pool.bytes(of: run!), singleBytes = pool.bytes(of: single)
        #expect(singleBytes.baseAddress! + singleBytes.count <= runBytes.baseAddress!)
        pool.giveBack(run!)
        pool.giveBack(single)
        #expect(pool.bulkFreeCount == pool.bulkCount)
    }

    /// Runs are lent only while more than half of the bulk blocks stay free: a crowd of large downloads falls
    /// back to single blocks rather than starving everyone else of bulk room.
    @Test func runsStopAtHalfTheBulkBlocks() {
        let pool = Self.pool()
        var runs: [BufferPool.Block] = []
        while let run = pool.takeRun() { runs.append(run) }
        #expect(runs.count == pool.bulkCount / 2 / BufferPool.runBlocks)
        #expect(pool.bulkFreeCount >= pool.bulkCount / 2)
        #expect(pool.take(bulk: true) != nil)
        runs.forEach(pool.giveBack)
        #expect(pool.takeRun() != nil)
    }

    /// Single blocks scattered over every group leave no whole run, whatever the headroom.
    @Test func noRunWithoutSixteenAdjacentFreeBlocks() {
        let pool = BufferPool(bytes: 4 << 20)   // 48 bulk blocks: three groups of sixteen
        var singles: [BufferPool.Block] = []
        while let block = pool.take(bulk: true) { singles.append(block) }
        for (n, block) in singles.enumerated() where n % BufferPool.runBlocks != 0 { pool.giveBack(block) }
        #expect(pool.bulkFreeCount == 45)
        #expect(pool.takeRun() == nil)
        pool.giveBack(singles[32])
        #expect(pool.takeRun().map { pool.bytes(of: $0).baseAddress } == pool.bytes(of: singles[32]).baseAddress)
    }

    /// A file stream fills a run in place and sends it whole; the run goes back when sent.
    @Test func aRunReservedByAStreamGoesBackWhenSent() {
        let pool = Self.pool()
        var queue = SendQueue(pool: pool)
        queue.append("HTTP/1.1 200 OK\r\n\r\n")
        let reserved = queue.reserveBulk(4096, run: true)
        #expect(reserved)
        #expect(queue.tailRoom == BufferPool.runBlocks * BufferPool.bulkBlockSize)
        let file = SendQueueTests.bytes(1 << 20, seed: 3)
        let count = queue.fill(maximum: file.count) { room in
            room.copyBytes(from: file)
            return file.count
        }
        #expect(count == file.count)
        #expect(SendQueueTests.drain(&queue) == Array("HTTP/1.1 200 OK\r\n\r\n".utf8) + file)
        queue.releaseStorage()
        #expect(pool.bulkFreeCount == pool.bulkCount && pool.smallFreeCount == pool.smallCount)
    }
}

@Suite struct SendQueueTests {
    /// Drains the queue the way a socket would, `step` bytes at a time at most.
    static func drain(_ queue: inout SendQueue, step: Int = .max) -> [UInt8] {
        var out: [UInt8] = []
        while !queue.isEmpty {
            let count = queue.withPending { pending -> Int in
                let take = min(step, pending.count)
                out.append(contentsOf: pending[..<take])
                return take
            }
            // An empty piece before pending bytes would make a send() of nothing, taken for a closed peer.
            guard count > 0 else {
                Issue.record("nothing to send with \(queue.pending) bytes pending")
                break
            }
            queue.consume(count)
        }
        return out
    }

    static func bytes(_ count: Int, seed: Int = 0) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed) }
    }

    /// Whatever sizes are appended and however the sends split them, the bytes come out in order, and every
    /// block goes back to the pool.
    @Test(arguments: [[1], [4096], [4097], [70_000], [100, 5000, 3, 65_536, 200_000], [2048, 2048, 2048]],
          [1, 1000, .max])
    func appendedBytesComeOutInOrderAndEveryBlockGoesBack(_ sizes: [Int], _ step: Int) {
        let pool = BufferPool(bytes: 1 << 20)
        var queue = SendQueue(pool: pool)
        var expected: [UInt8] = []
        for (n, size) in sizes.enumerated() {
            let piece = Self.bytes(size, seed: n)
            queue.append(piece)
            expected += piece
        }
        #expect(queue.pending == expected.count)
        #expect(queue.appended == expected.count)
        #expect(Self.drain(&queue, step: step) == expected)
        queue.releaseStorage()
        #expect(pool.bulkFreeCount == pool.bulkCount && pool.smallFreeCount == pool.smallCount)
    }

    /// A file read fills the reserved bulk room in place; a body larger than the room is queued by reference.
    @Test func reservedRoomIsFilledInPlaceAndLargeBodiesAreNotCopied() {
        let pool = BufferPool(bytes: 1 << 20)
        var queue = SendQueue(pool: pool)
        queue.append("HEAD\r\n")
        let reserved = queue.reserveBulk(4096)
        #expect(reserved)
        #expect(queue.tailRoom == BufferPool.bulkBlockSize)
        let file = Self.bytes(10_000)
        let count = queue.fill(maximum: file.count) { room in
            room.copyBytes(from: file)
            return file.count
        }
        #expect(count == 10_000)
        let body = Self.bytes(200_000, seed: 7)
        let freeBefore = (pool.bulkFreeCount, pool.smallFreeCount)
        queue.appendBody(body)
        #expect((pool.bulkFreeCount, pool.smallFreeCount) == freeBefore)
        #expect(Self.drain(&queue) == Array("HEAD\r\n".utf8) + file + body)
    }

    /// Room reserved and then not used (an answer that waits for a script) goes back when other room is
    /// reserved after it.
    @Test func aReservedBlockLeftEmptyNeverComesBeforeBytes() {
        let pool = BufferPool(bytes: 1 << 20)
        var queue = SendQueue(pool: pool)
        queue.append("a")
        let small = queue.reserve(BufferPool.smallBlockSize, bulk: false)
        let bulk = queue.reserveBulk(1)
        #expect(small && bulk)
        #expect(pool.smallFreeCount == pool.smallCount - 1)
        queue.append("b")
        #expect(String(decoding: Self.drain(&queue), as: UTF8.self) == "ab")
        queue.releaseStorage()
        #expect(pool.bulkFreeCount == pool.bulkCount && pool.smallFreeCount == pool.smallCount)
    }

    /// With every block lent, reserving fails (the caller waits) but a plain append still succeeds.
    @Test func anEmptyPoolRefusesRoomButNeverLosesAnAppend() {
        let pool = BufferPool(bytes: BufferPool.minimumBytes)
        var hog = SendQueue(pool: pool)
        while hog.reserve(1, bulk: false) { hog.append(Self.bytes(BufferPool.smallBlockSize)) }
        var queue = SendQueue(pool: pool)
        let small = queue.reserve(1, bulk: false)
        let bulk = queue.reserveBulk(1)
        #expect(!small && !bulk)
        queue.append("still sent")
        Array("abc".utf8).withUnsafeBytes { ChunkedEncoder.appendChunk($0, to: &queue) }
        #expect(String(decoding: Self.drain(&queue), as: UTF8.self) == "still sent3\r\nabc\r\n")
        hog.discardAll()
        #expect(pool.bulkFreeCount == pool.bulkCount && pool.smallFreeCount == pool.smallCount)
    }
}
