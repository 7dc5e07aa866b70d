import CSelect

/// A growable select() descriptor set: no FD_SETSIZE ceiling (the kernel reads as many words as nfds needs).
struct FDSet {
    private(set) var words: [cselect_word] = []
    /// One past the highest descriptor inserted since the last `removeAll`.
    private(set) var limit: Int32 = 0

    /// Empties the set, keeping room for descriptors below `capacity`.
    mutating func removeAll(capacity: Int32) {
        let needed = cselect_fdset_word_count(capacity)
        if words.count < needed {
            words = [cselect_word](repeating: 0, count: needed)
        } else {
            // Only the words in use can be non-zero.
            let used = cselect_fdset_word_count(limit)
            words.withUnsafeMutableBufferPointer { buffer in
                for i in 0..<used { buffer[i] = 0 }
            }
        }
        limit = 0
    }

    mutating func insert(_ fd: Int32) {
        precondition(fd >= 0, "negative descriptor")
        let index = cselect_fdset_word_index(fd)
        if index >= words.count {
            words.append(contentsOf: repeatElement(0, count: index + 1 - words.count))
        }
        words[index] |= cselect_fdset_bit(fd)
        if fd >= limit { limit = fd + 1 }
    }

    func contains(_ fd: Int32) -> Bool {
        guard fd >= 0 else { return false }
        let index = cselect_fdset_word_index(fd)
        return index < words.count && words[index] & cselect_fdset_bit(fd) != 0
    }

    /// Passes the words to a select() of `nfds` descriptors; an empty set is given as NULL. The kernel reads
    /// and writes every word below `nfds` in each set it is given, so a set whose own highest descriptor is
    /// lower than another set's must still have that many words.
    mutating func withSelectPointer<R>(nfds: Int32, _ body: (UnsafeMutablePointer<cselect_word>?) -> R) -> R {
        if limit == 0 { return body(nil) }
        let needed = cselect_fdset_word_count(nfds)
        if words.count < needed { words.append(contentsOf: repeatElement(0, count: needed - words.count)) }
        return words.withUnsafeMutableBufferPointer { body($0.baseAddress) }
    }
}
