import CSelect
#if canImport(Glibc)
import Glibc
#endif

/// Where an upload's bytes go: temporary files with unpredictable names in a directory no URL maps to
/// (`client_body_temp_path`), written through select(). Nothing is visible before the whole request has
/// arrived; then every file is published at once, or none is: a failed or abandoned request leaves nothing.
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

    /// One file on its way to disk: its next `queued` bytes are at the front of `queue` once the steps before
    /// it are done; written through select(), then the file is closed once its part has ended (`closes`) and
    /// every byte is out.
    private struct Step {
        let descriptor: Descriptor
        var queued = 0
        var closes = false
    }

    /// A file being received or received whole, not yet published.
    private struct Temporary {
        let path: String
        let name: String
    }

    let directory: String
    private let temporaryDirectory: String
    private let names: UploadNames
    private let replaces: Bool
    private var parser: MultipartParser?
    /// Decoded body bytes the multipart parser has not seen yet: parsing stops for the pass once it has
    /// created a few files, since creating a file can cost a millisecond and a form can hold thousands.
    private var backlog: [UInt8] = []
    private var backlogStart = 0
    private var steps: [Step] = []
    private var stepIndex = 0
    /// Every file's bytes not yet written, in step order, in blocks of the I/O buffer pool.
    var queue: SendQueue
    /// Bytes taken and not yet on disk (the connection stops reading past `highWater`).
    private(set) var pendingBytes = 0
    /// Every temporary file created, in order: published at the end, removed if the upload fails.
    private var temporaries: [Temporary] = []
    /// Temporaries still open (their step not finished yet).
    private var openDescriptors: Set<Descriptor> = []
    /// The part being received (multipart) or the single file: index of its step.
    private var currentStep: Int?
    private(set) var stored: [StoredFile] = []
    private var inputFinished = false
    private var published = false

    static let highWater = 256 * 1024
    /// The most bytes the multipart parser holds back from one input and releases with the next (a boundary
    /// that may be starting): what one `take` can bring beyond its input.
    static let heldBackBytes = 256
    /// Files created per call before the parser waits for the next pass, and the parser's bite.
    private static let creationsPerCall = 8
    private static let parseSlice = 2048

    init(directory: String, temporaryDirectory: String, kind: Kind, names: UploadNames,
         pool: BufferPool) throws(HTTPError) {
        self.directory = directory.hasSuffix("/") && directory.utf8.count > 1 ? String(directory.dropLast()) : directory
        queue = SendQueue(pool: pool)
        self.temporaryDirectory = temporaryDirectory
        self.names = names
        switch kind {
        case .put(let name):
            replaces = true
            try openTemporary(for: name)
        case .raw(let name):
            replaces = false
            try openTemporary(for: name)
        case .multipart(let boundary):
            replaces = false
            parser = try MultipartParser(boundary: boundary)
        }
    }

    /// Blocks still held (a request cut off before its bytes were written) go back to the pool.
    deinit { queue.discardAll() }

    /// Decoded body bytes.
    func take(_ bytes: [UInt8]) throws(HTTPError) {
        guard parser != nil else {
            if let currentStep, !bytes.isEmpty { append(bytes[...], to: currentStep) }
            return
        }
        if backlogStart == backlog.count {
            backlog = bytes
            backlogStart = 0
        } else {
            backlog += bytes
        }
        pendingBytes += bytes.count
        try parseBacklog()
        try publishIfComplete()
    }

    /// The body is complete: a truncated multipart body is a 400. Once every byte is on disk, the files are
    /// published.
    func finishInput() throws(HTTPError) {
        inputFinished = true
        if parser == nil { endCurrent() }
        try parseBacklog()
        try publishIfComplete()
    }

    /// The descriptor select() should watch for writability, if any: the front file while it has bytes to
    /// write, or while the parser waits for its next pass (a file is always writable, so the pass comes).
    var waitingDescriptor: Descriptor? {
        guard stepIndex < steps.count else { return nil }
        let front = steps[stepIndex]
        return front.queued > 0 || backlogStart < backlog.count ? front.descriptor : nil
    }

    /// Every file is published.
    var isComplete: Bool { published }

    /// One write() on the front file (select() reported it writable), then more parsing if some waits. A
    /// refused write is, in practice, a full disk: 507.
    func writable() throws(HTTPError) {
        if stepIndex < steps.count, steps[stepIndex].queued > 0 {
            let left = steps[stepIndex].queued
            let descriptor = steps[stepIndex].descriptor
            let count = queue.withPending { descriptor.write(UnsafeRawBufferPointer(rebasing: $0.prefix(left))) }
            guard count > 0 else { throw HTTPError(.insufficientStorage, "cannot write upload to \(temporaryDirectory)") }
            queue.consume(count)
            steps[stepIndex].queued -= count
            pendingBytes -= count
        }
        try parseBacklog()
        advance()
        try publishIfComplete()
    }

    /// Removes every temporary file and closes what is open; published files stay (the request succeeded).
    func abort() {
        for descriptor in openDescriptors { descriptor.close() }
        openDescriptors.removeAll()
        if !published {
            for temporary in temporaries { unlink(temporary.path) }
        }
        temporaries.removeAll()
        currentStep = nil
        steps.removeAll()
        stepIndex = 0
        backlog = []
        backlogStart = 0
        queue.discardAll()
    }

    // MARK: Steps

    /// Queues bytes of the current file, which is always the last step: the queue stays in step order.
    private func append(_ bytes: ArraySlice<UInt8>, to step: Int) {
        bytes.withUnsafeBytes { queue.append($0) }
        steps[step].queued += bytes.count
        pendingBytes += bytes.count
    }

    private func endCurrent() {
        guard let currentStep else { return }
        steps[currentStep].closes = true
        self.currentStep = nil
        advance()
    }

    /// Closes the files at the front whose bytes are all written and whose part has ended. The last one is
    /// kept open while the parser waits for its next pass: it is what select() watches to bring that pass.
    private func advance() {
        while stepIndex < steps.count, steps[stepIndex].closes, steps[stepIndex].queued == 0 {
            if stepIndex == steps.count - 1 && backlogStart < backlog.count { return }
            steps[stepIndex].descriptor.close()
            openDescriptors.remove(steps[stepIndex].descriptor)
            stepIndex += 1
        }
        if stepIndex == steps.count {
            steps.removeAll(keepingCapacity: true)
            stepIndex = 0
        }
    }

    /// Feeds the parser from the backlog until it has created `creationsPerCall` files; at the end of the
    /// body, checks it closed properly.
    private func parseBacklog() throws(HTTPError) {
        guard var multipart = parser else { return }
        var created = 0
        while backlogStart < backlog.count && created < UploadSink.creationsPerCall {
            let end = min(backlog.count, backlogStart + UploadSink.parseSlice)
            let slice = backlog[backlogStart..<end]
            backlogStart = end
            pendingBytes -= slice.count
            for event in try multipart.feed(slice) {
                switch event {
                case .partBegin(let part):
                    // Fields without a file name are form values, not files; an empty one is a file input
                    // left empty (a browser sends `filename=""` when no file was chosen).
                    guard let raw = part.filename, !raw.isEmpty else { continue }
                    let name = MultipartParser.safeFileName(raw, maxBytes: 200) ?? "upload"
                    try openTemporary(for: name)
                    created += 1
                case .data(let bytes):
                    if let currentStep, !bytes.isEmpty { append(bytes, to: currentStep) }
                case .partEnd:
                    endCurrent()
                case .end:
                    break
                }
            }
        }
        parser = multipart
        if backlogStart == backlog.count {
            backlog = []
            backlogStart = 0
            if inputFinished { try multipart.finish() }
        }
        advance()
    }

    // MARK: Publishing

    /// The body has ended and every byte is on disk: each temporary takes its name in the destination, and
    /// is removed from the temporaries directory. If one cannot, those already published are withdrawn.
    private func publishIfComplete() throws(HTTPError) {
        guard inputFinished, !published, steps.isEmpty, backlogStart == backlog.count else { return }
        var done: [StoredFile] = []
        for temporary in temporaries {
            do {
                done.append(try publish(temporary))
            } catch {
                // PUT is a single file, so a replaced file is never among those withdrawn.
                for file in done { unlink(directory + "/" + file.name) }
                throw error
            }
        }
        for temporary in temporaries { unlink(temporary.path) }
        temporaries.removeAll()
        stored = done
        published = true
    }

    private func publish(_ temporary: Temporary) throws(HTTPError) -> StoredFile {
        let target = directory + "/" + temporary.name
        guard replaces else {
            return StoredFile(name: try names.publish(temporary.path, as: temporary.name, in: directory), replaced: false)
        }
        // PUT means replace: rename() swaps the file in atomically; a reader sees the old or the new one whole.
        var info = stat()
        let existed = lstat(target, &info) == 0
        guard rename(temporary.path, target) == 0 else {
            throw UploadNames.failure(cselect_errno(), "cannot move the body into \(target)")
        }
        return StoredFile(name: temporary.name, replaced: existed)
    }

    /// A new temporary (TemporaryFile: nothing already there, whoever made it, is ever written through); it
    /// becomes the current file. Its directory is made again if it was removed since start-up.
    private func openTemporary(for name: String) throws(HTTPError) {
        endCurrent()
        let failure = "cannot create a file in \(temporaryDirectory)"
        for attempt in 0..<2 {
            switch TemporaryFile.create(in: temporaryDirectory, flags: O_WRONLY, mode: 0o644,
                                        name: names.temporaryName) {
            case .created(let descriptor, let path):
                temporaries.append(Temporary(path: path, name: name))
                openDescriptors.insert(descriptor)
                steps.append(Step(descriptor: descriptor))
                currentStep = steps.count - 1
                return
            case .failed(let code):
                throw UploadNames.failure(code, failure)
            case .directoryMissing:
                guard attempt == 0 else { break }
                if mkdir(temporaryDirectory, 0o700) != 0 {
                    let code = cselect_errno()
                    if code != EEXIST { throw UploadNames.failure(code, failure) }
                }
            }
        }
        throw UploadNames.failure(ENOENT, failure)
    }
}
