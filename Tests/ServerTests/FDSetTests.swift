import CSelect
import Testing
@testable import Server
#if canImport(Glibc)
import Glibc
#endif

@Suite struct FDSetTests {
    @Test(arguments: [0, 1, 63, 64, 65, 1023, 1024, 1025, 4095, 10_000])
    func insertedDescriptorIsContainedAndItsNeighboursAreNot(fd: Int32) {
        var set = FDSet()
        set.removeAll(capacity: 16)
        set.insert(fd)
        #expect(set.contains(fd))
        #expect(!set.contains(fd + 1))
        if fd > 0 { #expect(!set.contains(fd - 1)) }
        #expect(set.limit == fd + 1)
    }

    @Test func removeAllClearsEveryWordInUse() {
        var set = FDSet()
        set.removeAll(capacity: 2048)
        for fd: Int32 in [3, 700, 2000] { set.insert(fd) }
        set.removeAll(capacity: 2048)
        #expect(![3, 700, 2000].contains { set.contains($0) })
        #expect(set.limit == 0)
    }

    /// The kernel must see our words as an fd_set: a pipe past FD_SETSIZE is reported readable.
    @Test func selectReportsADescriptorAboveFDSetSize() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let high: Int32 = 1500
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        try #require(limit.rlim_max > rlim_t(high), "descriptor limit too low for this test")
        _ = cselect_raise_fd_limit()
        #expect(dup2(ends[0], high) == high)
        defer { close(ends[0]); close(ends[1]); close(high) }
        #expect(write(ends[1], "x", 1) == 1)

        var readable = FDSet()
        readable.removeAll(capacity: high + 1)
        readable.insert(high)
        readable.insert(ends[0])
        let nfds = readable.limit
        let ready = readable.withSelectPointer(nfds: nfds) { cselect_select(nfds, $0, nil, 1_000_000) }
        #expect(ready == 2)
        #expect(readable.contains(high))
    }

    /// Regression: a read set holding only low descriptors, selected together with a write set holding a high
    /// one, must be as long as nfds needs, or the kernel writes past its end (heap corruption seen with
    /// CGI pipes numbered above every socket).
    @Test func aShortSetIsGrownToTheSharedNfds() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let high: Int32 = 700
        _ = cselect_raise_fd_limit()
        #expect(dup2(ends[1], high) == high)
        defer { close(ends[0]); close(ends[1]); close(high) }

        var readable = FDSet()
        readable.removeAll(capacity: 1)
        readable.insert(ends[0])
        var writable = FDSet()
        writable.removeAll(capacity: 1)
        writable.insert(high)
        let nfds = max(readable.limit, writable.limit)
        let ready = readable.withSelectPointer(nfds: nfds) { r in
            writable.withSelectPointer(nfds: nfds) { w in cselect_select(nfds, r, w, 1_000_000) }
        }
        #expect(ready == 1)
        #expect(writable.contains(high))
        #expect(readable.words.count >= Int(cselect_fdset_word_count(nfds)))
        #expect(!readable.contains(ends[0]))
    }
}
