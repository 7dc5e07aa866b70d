import CSelect
#if canImport(Glibc)
import Glibc
#endif

/// Where an upload's bytes go: temporary files in the destination directory, written through select() and
/// moved into place only when complete, so a reader never sees a partial file and a failed upload leaves
/// nothing behind.
final class UploadSink {
    /// What the body is.
    enum Kind {
        /// PUT: the body is the file `name`, replacing any file of that name.
        case put(name: String)
        /// POST of a non-form body: stored as one new file (`name` made unique if taken).
        case raw(name: String)
        /// POST multipart/form-data: every part with a file name becomes a file.
        case multipart(boundary: String)
    }

    /// A file this upload created or replaced.
    struct StoredFile {
        let name: String
        let replaced: Bool
    }

    /// One step of the upload, done in order: bytes to write, or a finished file to move into place.
    private enum Step {
        /// The next `count` bytes of `queue` go to this file.
        case write(Descriptor, count: Int)
        case finish(Descriptor, temporary: String, name: String, replace: Bool)
    }

    let directory: String
    private var parser: MultipartParser?
    private var steps: [Step] = []
    /// The bytes of the write steps, in order, in bulk blocks of the buffer pool.
    var queue: SendQueue
    private var stepIndex = 0
    /// Bytes of the first pending write step already written.
    private var written = 0
    private(set) var pendingBytes = 0
    /// The part being received (multipart) or the single file.
    private var current: (descriptor: Descriptor, temporary: String, name: String, replace: Bool)?
    /// Temporary files not yet moved into place: removed if the upload fails.
    private var temporaries: [String: Descriptor] = [:]
    private(set) var stored: [StoredFile] = []
    private var inputFinished = false

    private static var counter = 0
    static let highWater = 256 * 1024
    /// The most bytes the multipart parser holds back from one input and releases with the next (a boundary
    /// that may be starting): what one `take` can bring beyond its input.
    static let heldBackBytes = 256

    init(directory: String, kind: Kind, pool: BufferPool) throws(HTTPError) {
        self.directory = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        queue = SendQueue(pool: pool)
        switch kind {
        case .put(let name):
            current = try openTemporary(for: name, replace: true)
        case .raw(let name):
            current = try openTemporary(for: name, replace: false)
        case .multipart(let boundary):
            parser = try MultipartParser(boundary: boundary)
        }
    }

    /// Decoded body bytes.
    func take(_ bytes: [UInt8]) throws(HTTPError) {
        guard var multipart = parser else {
            if let current, !bytes.isEmpty { enqueue(bytes[...], for: current.descriptor) }
            return
        }
        let events = try multipart.feed(bytes[...])
        parser = multipart
        for event in events {
            switch event {
            case .partBegin(let part):
                // Fields without a file name are form values, not files.
                guard let raw = part.filename else { continue }
                let name = MultipartParser.safeFileName(raw, maxBytes: 200) ?? "upload"
                current = try openTemporary(for: name, replace: false)
            case .data(let slice):
                if let current, !slice.isEmpty { enqueue(slice, for: current.descriptor) }
            case .partEnd:
                finishCurrent()
            case .end:
                break
            }
        }
        // A part that ended with all its bytes already written can be moved into place now: waiting for a
        // write that will never come would stall the upload.
        try advance()
    }

    /// The body is complete: a truncated multipart body is a 400.
    func finishInput() throws(HTTPError) {
        if let multipart = parser {
            try multipart.finish()
        } else {
            finishCurrent()
        }
        inputFinished = true
        try advance()
    }

    /// The descriptor select() should watch for writability, if any.
    var waitingDescriptor: Descriptor? {
        guard stepIndex < steps.count, case .write(let descriptor, _) = steps[stepIndex] else { return nil }
        return descriptor
    }

    /// Every byte is on disk and every file in place.
    var isComplete: Bool { inputFinished && stepIndex == steps.count }

    /// One write() on the waiting descriptor (select() reported it writable). A refused write is, in
    /// practice, a full disk: 507.
    func writable() throws(HTTPError) {
        guard stepIndex < steps.count, case .write(let descriptor, let stepCount) = steps[stepIndex] else { return }
        let left = stepCount - written
        let count = queue.withPending { descriptor.write(UnsafeRawBufferPointer(rebasing: $0.prefix(left))) }
        guard count > 0 else { throw HTTPError(.insufficientStorage, "cannot write upload to \(directory)") }
        queue.consume(count)
        written += count
        pendingBytes -= count
        if written == stepCount {
            stepIndex += 1
            written = 0
        }
        try advance()
    }

    /// Removes every temporary file; stored files stay.
    func abort() {
        for (path, descriptor) in temporaries {
            descriptor.close()
            unlink(path)
        }
        temporaries.removeAll()
        steps.removeAll()
        stepIndex = 0
        queue.discardAll()
    }

    deinit { queue.discardAll() }

    // MARK: Steps

    private func enqueue(_ bytes: ArraySlice<UInt8>, for descriptor: Descriptor) {
        bytes.withUnsafeBytes { queue.append($0) }
        steps.append(.write(descriptor, count: bytes.count))
        pendingBytes += bytes.count
    }

    private func finishCurrent() {
        guard let current else { return }
        steps.append(.finish(current.descriptor, temporary: current.temporary, name: current.name,
                             replace: current.replace))
        self.current = nil
    }

    /// Runs the finish steps that reached the front (no I/O: close and link/rename).
    private func advance() throws(HTTPError) {
        while stepIndex < steps.count, case .finish(let descriptor, let temporary, let name, let replace) = steps[stepIndex] {
            descriptor.close()
            temporaries[temporary] = nil
            try moveIntoPlace(temporary, name: name, replace: replace)
            stepIndex += 1
        }
        if stepIndex == steps.count {
            steps.removeAll(keepingCapacity: true)
            stepIndex = 0
        }
    }

    private func moveIntoPlace(_ temporary: String, name: String, replace: Bool) throws(HTTPError) {
        if replace {
            var info = stat()
            let existed = lstat(directory + "/" + name, &info) == 0
            guard rename(temporary, directory + "/" + name) == 0 else {
                unlink(temporary)
                throw HTTPError(.internalServerError, "rename into \(directory) failed")
            }
            stored.append(StoredFile(name: name, replaced: existed))
            return
        }
        // A name that is taken gets a numbered variant: link() never overwrites.
        for attempt in 0..<1000 {
            let candidate = attempt == 0 ? name : UploadSink.numbered(name, attempt)
            if link(temporary, directory + "/" + candidate) == 0 {
                unlink(temporary)
                stored.append(StoredFile(name: candidate, replaced: false))
                return
            }
            if cselect_errno() != EEXIST { break }
        }
        unlink(temporary)
        throw HTTPError(.internalServerError, "cannot store \(name) in \(directory)")
    }

    private func openTemporary(for name: String, replace: Bool) throws(HTTPError) -> (descriptor: Descriptor, temporary: String, name: String, replace: Bool) {
        UploadSink.counter += 1
        let temporary = "\(directory)/.webserv-\(getpid())-\(UploadSink.counter).part"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else {
            let code = cselect_errno()
            throw HTTPError(code == ENOSPC ? .insufficientStorage : code == EACCES ? .forbidden : .internalServerError,
                            "cannot create a file in \(directory)")
        }
        let descriptor = Descriptor(fd)
        descriptor.setNonBlocking()
        temporaries[temporary] = descriptor
        return (descriptor, temporary, name, replace)
    }

    /// `photo.jpg` → `photo-1.jpg`; `README` → `README-1`.
    static func numbered(_ name: String, _ n: Int) -> String {
        if let dot = name.lastIndex(of: "."), dot != name.startIndex {
            return "\(name[..<dot])-\(n)\(name[dot...])"
        }
        return "\(name)-\(n)"
    }
}
