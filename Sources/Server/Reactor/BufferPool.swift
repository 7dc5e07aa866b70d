/// The server's I/O buffers, allocated once at start-up and lent out as fixed-size blocks. Taking or returning
/// a block never allocates: when memory runs short a connection waits for a block, it never meets a failed
/// allocation (which Swift answers by aborting the process).
///
/// Bulk streaming (file bodies, CGI output, upload and spool bytes) may hold at most three quarters of the
/// blocks; the rest stays for request heads and small responses, so a crowd of slow readers cannot starve
/// a newcomer asking for a small page.
final class BufferPool {
    /// A lent block: where it lies in the pool, and whether it counts against the bulk budget.
    struct Block {
        fileprivate(set) var index: Int32
        fileprivate(set) var isBulk: Bool
    }

    /// 64 KiB: one read() or send() per select() pass moves a whole block, as the file streaming always has.
    static let blockSize = 64 * 1024
    /// The smallest pool that still has a bulk part and a reserve: four blocks.
    static let minimumBytes = 4 * blockSize

    let blockCount: Int
    let bulkLimit: Int
    private let memory: UnsafeMutableRawPointer
    /// Indices of the free blocks, used as a stack: the block given back last is lent first, so the pages
    /// touched stay few (resident memory follows the peak in use, not the pool's size).
    private let free: UnsafeMutablePointer<Int32>
    private(set) var freeCount: Int
    private(set) var bulkInUse = 0

    init(bytes: Int) {
        blockCount = max(4, bytes / BufferPool.blockSize)
        bulkLimit = blockCount * 3 / 4
        memory = UnsafeMutableRawPointer.allocate(byteCount: blockCount * BufferPool.blockSize, alignment: 4096)
        free = UnsafeMutablePointer<Int32>.allocate(capacity: blockCount)
        for slot in 0..<blockCount { free[slot] = Int32(blockCount - 1 - slot) }
        freeCount = blockCount
    }

    deinit {
        memory.deallocate()
        free.deallocate()
    }

    var byteCount: Int { blockCount * BufferPool.blockSize }

    /// A free block, or nil: none left, or (for bulk) the bulk budget is spent.
    func take(bulk: Bool) -> Block? {
        guard freeCount > 0, !bulk || bulkInUse < bulkLimit else { return nil }
        freeCount -= 1
        if bulk { bulkInUse += 1 }
        return Block(index: free[freeCount], isBulk: bulk)
    }

    /// Counts a block taken for a head against the bulk budget, so file bytes can follow the head in it.
    func promoteToBulk(_ block: inout Block) -> Bool {
        if block.isBulk { return true }
        guard bulkInUse < bulkLimit else { return false }
        bulkInUse += 1
        block.isBulk = true
        return true
    }

    func giveBack(_ block: Block) {
        precondition(freeCount < blockCount, "a block was given back twice")
        if block.isBulk { bulkInUse -= 1 }
        free[freeCount] = block.index
        freeCount += 1
    }

    func bytes(of block: Block) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: memory + Int(block.index) * BufferPool.blockSize,
                                      count: BufferPool.blockSize)
    }
}
