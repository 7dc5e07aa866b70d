/// The server's I/O buffers, allocated once at start-up and lent out as fixed-size blocks. Taking or returning
/// a block never allocates: when memory runs short a connection waits for a block, it never meets a failed
/// allocation (which Swift answers by aborting the process).
///
/// Three quarters of the pool are bulk blocks for streaming (file bodies, CGI output, upload and spool
/// bytes), 64 KiB each so one read() or send() per select() pass moves a whole block. While more than half of
/// them are free, a large file may borrow a run of `runBlocks` adjacent bulk blocks as one block: a 1 MiB
/// read() and send() per pass instead of sixteen (sendfile is not on the brief's list). The last quarter is
/// small blocks for response heads and small bodies: a crowd of slow readers holding every bulk block still
/// leaves a newcomer asking for a small page its answer.
final class BufferPool {
    /// A lent block: which region it comes from, where it lies there, and how many bulk blocks it spans.
    struct Block {
        fileprivate let index: Int32
        fileprivate let span: Int32
        let isBulk: Bool

        var capacity: Int { isBulk ? Int(span) * BufferPool.bulkBlockSize : BufferPool.smallBlockSize }
    }

    static let bulkBlockSize = 64 * 1024
    static let smallBlockSize = 4 * 1024
    /// Bulk blocks in a run: 1 MiB. A divisor of 64, so a run is an aligned group of bits in one bitmap word.
    static let runBlocks = 16
    /// The smallest pool worth having: three bulk blocks and sixteen small ones.
    static let minimumBytes = 256 * 1024

    let bulkCount: Int
    let smallCount: Int
    private let memory: UnsafeMutableRawPointer
    /// One bit per bulk block, set when free. Single blocks are lent lowest first, so the pages touched stay
    /// few (resident memory follows the peak in use, not the pool's size) and the high end keeps whole runs.
    private let bulkFree: UnsafeMutablePointer<UInt64>
    private let bulkWords: Int
    /// No word below this one has a free bit.
    private var lowestFreeWord = 0
    /// Indices of the free small blocks, used as a stack: the block given back last is lent first.
    private let smallFree: UnsafeMutablePointer<Int32>
    private(set) var bulkFreeCount: Int
    private(set) var smallFreeCount: Int

    init(bytes: Int) {
        bulkCount = max(1, bytes * 3 / 4 / BufferPool.bulkBlockSize)
        smallCount = max(1, (bytes - bulkCount * BufferPool.bulkBlockSize) / BufferPool.smallBlockSize)
        memory = UnsafeMutableRawPointer.allocate(byteCount: BufferPool.regionOffset(bulkCount) + smallCount * BufferPool.smallBlockSize,
                                                  alignment: 4096)
        bulkWords = (bulkCount + 63) / 64
        bulkFree = UnsafeMutablePointer<UInt64>.allocate(capacity: bulkWords)
        for word in 0..<bulkWords {
            let bits = min(64, bulkCount - word * 64)
            bulkFree[word] = bits == 64 ? ~0 : (1 << UInt64(bits)) - 1
        }
        smallFree = UnsafeMutablePointer<Int32>.allocate(capacity: smallCount)
        for slot in 0..<smallCount { smallFree[slot] = Int32(smallCount - 1 - slot) }
        bulkFreeCount = bulkCount
        smallFreeCount = smallCount
    }

    deinit {
        memory.deallocate()
        bulkFree.deallocate()
        smallFree.deallocate()
    }

    private static func regionOffset(_ bulkCount: Int) -> Int { bulkCount * bulkBlockSize }

    var byteCount: Int { bulkCount * BufferPool.bulkBlockSize + smallCount * BufferPool.smallBlockSize }

    /// Not one small block left: a newcomer could not even be told its answer.
    var isExhausted: Bool { smallFreeCount == 0 }

    /// A free block of the region asked for, or nil.
    func take(bulk: Bool) -> Block? {
        if bulk {
            guard bulkFreeCount > 0 else { return nil }
            while bulkFree[lowestFreeWord] == 0 { lowestFreeWord += 1 }
            let bit = bulkFree[lowestFreeWord].trailingZeroBitCount
            bulkFree[lowestFreeWord] &= ~(1 << UInt64(bit))
            bulkFreeCount -= 1
            return Block(index: Int32(lowestFreeWord * 64 + bit), span: 1, isBulk: true)
        }
        guard smallFreeCount > 0 else { return nil }
        smallFreeCount -= 1
        return Block(index: smallFree[smallFreeCount], span: 1, isBulk: false)
    }

    /// A run of `runBlocks` adjacent free bulk blocks lent as one, highest first, while more than half of the
    /// bulk blocks are free; nil otherwise (the caller takes a single block).
    func takeRun() -> Block? {
        guard bulkFreeCount - BufferPool.runBlocks >= bulkCount / 2 else { return nil }
        let groupMask: UInt64 = (1 << UInt64(BufferPool.runBlocks)) - 1
        for word in stride(from: bulkWords - 1, through: 0, by: -1) where bulkFree[word] != 0 {
            for group in stride(from: 64 / BufferPool.runBlocks - 1, through: 0, by: -1) {
                let mask = groupMask << UInt64(group * BufferPool.runBlocks)
                guard bulkFree[word] & mask == mask else { continue }
                bulkFree[word] &= ~mask
                bulkFreeCount -= BufferPool.runBlocks
                return Block(index: Int32(word * 64 + group * BufferPool.runBlocks),
                             span: Int32(BufferPool.runBlocks), isBulk: true)
            }
        }
        return nil
    }

    func giveBack(_ block: Block) {
        if block.isBulk {
            let word = Int(block.index) / 64
            let span: UInt64 = block.span == 64 ? ~0 : (1 << UInt64(block.span)) - 1
            let mask = span << UInt64(Int(block.index) % 64)
            precondition(bulkFree[word] & mask == 0, "a block was given back twice")
            bulkFree[word] |= mask
            bulkFreeCount += Int(block.span)
            lowestFreeWord = min(lowestFreeWord, word)
        } else {
            precondition(smallFreeCount < smallCount, "a block was given back twice")
            smallFree[smallFreeCount] = block.index
            smallFreeCount += 1
        }
    }

    func bytes(of block: Block) -> UnsafeMutableRawBufferPointer {
        let offset = block.isBulk
            ? Int(block.index) * BufferPool.bulkBlockSize
            : BufferPool.regionOffset(bulkCount) + Int(block.index) * BufferPool.smallBlockSize
        return UnsafeMutableRawBufferPointer(start: memory + offset, count: block.capacity)
    }
}
