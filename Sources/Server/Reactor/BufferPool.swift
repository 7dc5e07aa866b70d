/// The server's I/O buffers, allocated once at start-up and lent out as fixed-size blocks. Taking or returning
/// a block never allocates: when memory runs short a connection waits for a block, it never meets a failed
/// allocation (which Swift answers by aborting the process).
///
/// Three quarters of the pool are bulk blocks for streaming (file bodies, CGI output, upload and spool
/// bytes), 64 KiB each so one read() or send() per select() pass moves a whole block. The last quarter is
/// small blocks for response heads and small bodies: a crowd of slow readers holding every bulk block still
/// leaves a newcomer asking for a small page its answer.
final class BufferPool {
    /// A lent block: which region it comes from, and where it lies there.
    struct Block {
        fileprivate let index: Int32
        let isBulk: Bool

        var capacity: Int { isBulk ? BufferPool.bulkBlockSize : BufferPool.smallBlockSize }
    }

    static let bulkBlockSize = 64 * 1024
    static let smallBlockSize = 4 * 1024
    /// The smallest pool worth having: three bulk blocks and sixteen small ones.
    static let minimumBytes = 256 * 1024

    let bulkCount: Int
    let smallCount: Int
    private let memory: UnsafeMutableRawPointer
    /// Indices of the free blocks of each region, used as stacks: the block given back last is lent first,
    /// so the pages touched stay few (resident memory follows the peak in use, not the pool's size).
    private let bulkFree: UnsafeMutablePointer<Int32>
    private let smallFree: UnsafeMutablePointer<Int32>
    private(set) var bulkFreeCount: Int
    private(set) var smallFreeCount: Int

    init(bytes: Int) {
        bulkCount = max(1, bytes * 3 / 4 / BufferPool.bulkBlockSize)
        smallCount = max(1, (bytes - bulkCount * BufferPool.bulkBlockSize) / BufferPool.smallBlockSize)
        memory = UnsafeMutableRawPointer.allocate(byteCount: BufferPool.regionOffset(bulkCount) + smallCount * BufferPool.smallBlockSize,
                                                  alignment: 4096)
        bulkFree = UnsafeMutablePointer<Int32>.allocate(capacity: bulkCount)
        smallFree = UnsafeMutablePointer<Int32>.allocate(capacity: smallCount)
        for slot in 0..<bulkCount { bulkFree[slot] = Int32(bulkCount - 1 - slot) }
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
            bulkFreeCount -= 1
            return Block(index: bulkFree[bulkFreeCount], isBulk: true)
        }
        guard smallFreeCount > 0 else { return nil }
        smallFreeCount -= 1
        return Block(index: smallFree[smallFreeCount], isBulk: false)
    }

    func giveBack(_ block: Block) {
        if block.isBulk {
            precondition(bulkFreeCount < bulkCount, "a block was given back twice")
            bulkFree[bulkFreeCount] = block.index
            bulkFreeCount += 1
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
