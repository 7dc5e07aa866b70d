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

    /// One step of the upload, done in order: bytes to write, or a finished file's descriptor to close.
    private enum Step {
        case write(Descriptor, [UInt8])
        case close(Descriptor)
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
    private var steps: [Step] = []
    private var stepIndex = 0
    /// Bytes of the first pending write step already written.
    private var written = 0
    private(set) var pendingBytes = 0
    /// The part being received (multipart) or the single file.
    private var current: (descriptor: Descriptor, temporary: Temporary)?
    /// Every temporary file created, in order: published at the end, removed if the upload fails.
    private var temporaries: [Temporary] = []
    /// Temporaries still open (their close step not reached yet).
    private var openDescriptors: Set<Descriptor> = []
    private(set) var stored: [StoredFile] = []
    private var inputFinished = false
    private var published = false

    static let highWater = 256 * 1024
    /// Fresh names tried when one is taken (by a file nobody should have been able to name).
    private static let creationAttempts = 4

    init(directory: String, temporaryDirectory: String, kind: Kind, names: UploadNames) throws(HTTPError) {
        self.directory = directory.hasSuffix("/") && directory.utf8.count > 1 ? String(directory.dropLast()) : directory
        self.temporaryDirectory = temporaryDirectory
        self.names = names
        switch kind {
        case .put(let name):
            replaces = true
            current = try openTemporary(for: name)
        case .raw(let name):
            replaces = false
            current = try openTemporary(for: name)
        case .multipart(let boundary):
            replaces = false
            parser = try MultipartParser(boundary: boundary)
        }
    }

    /// Decoded body bytes.
    func take(_ bytes: [UInt8]) throws(HTTPError) {
        guard var multipart = parser else {
            if let current, !bytes.isEmpty { enqueue(.write(current.descriptor, bytes), size: bytes.count) }
            return
        }
        let events = try multipart.feed(bytes[...])
        parser = multipart
        for event in events {
            switch event {
            case .partBegin(let part):
                // Fields without a file name are form values, not files; an empty one is a file input left
                // empty (a browser sends `filename=""` when no file was chosen).
                guard let raw = part.filename, !raw.isEmpty else { continue }
                let name = MultipartParser.safeFileName(raw, maxBytes: 200) ?? "upload"
                current = try openTemporary(for: name)
            case .data(let slice):
                if let current, !slice.isEmpty { enqueue(.write(current.descriptor, Array(slice)), size: slice.count) }
            case .partEnd:
                finishCurrent()
            case .end:
                break
            }
        }
        advance()
    }

    /// The body is complete: a truncated multipart body is a 400. Once every byte is on disk, the files are
    /// published.
    func finishInput() throws(HTTPError) {
        if let multipart = parser {
            try multipart.finish()
        } else {
            finishCurrent()
        }
        inputFinished = true
        advance()
        try publishIfComplete()
    }

    /// The descriptor select() should watch for writability, if any.
    var waitingDescriptor: Descriptor? {
        guard stepIndex < steps.count, case .write(let descriptor, _) = steps[stepIndex] else { return nil }
        return descriptor
    }

    /// Every file is published.
    var isComplete: Bool { published }

    /// One write() on the waiting descriptor (select() reported it writable). A refused write is, in
    /// practice, a full disk: 507.
    func writable() throws(HTTPError) {
        guard stepIndex < steps.count, case .write(let descriptor, let bytes) = steps[stepIndex] else { return }
        let count = bytes.withUnsafeBytes { descriptor.write(UnsafeRawBufferPointer(rebasing: $0[written...])) }
        guard count > 0 else { throw HTTPError(.insufficientStorage, "cannot write upload to \(temporaryDirectory)") }
        written += count
        pendingBytes -= count
        if written == bytes.count {
            steps[stepIndex] = .write(descriptor, [])
            stepIndex += 1
            written = 0
        }
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
        current = nil
        steps.removeAll()
        stepIndex = 0
    }

    // MARK: Steps

    private func enqueue(_ step: Step, size: Int) {
        steps.append(step)
        pendingBytes += size
    }

    private func finishCurrent() {
        guard let current else { return }
        steps.append(.close(current.descriptor))
        self.current = nil
    }

    /// Runs the close steps that reached the front: a part whose bytes are all written needs no wait for a
    /// write that will never come.
    private func advance() {
        while stepIndex < steps.count, case .close(let descriptor) = steps[stepIndex] {
            descriptor.close()
            openDescriptors.remove(descriptor)
            stepIndex += 1
        }
        if stepIndex == steps.count {
            steps.removeAll(keepingCapacity: true)
            stepIndex = 0
        }
    }

    // MARK: Publishing

    /// The body has ended and every byte is on disk: each temporary takes its name in the destination, and
    /// is removed from the temporaries directory. If one cannot, those already published are withdrawn.
    private func publishIfComplete() throws(HTTPError) {
        guard inputFinished, !published, steps.isEmpty, current == nil else { return }
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

    /// A new temporary, O_EXCL so that nothing already there (whoever made it) is ever written through. Its
    /// directory is made again if it was removed since start-up.
    private func openTemporary(for name: String) throws(HTTPError) -> (descriptor: Descriptor, temporary: Temporary) {
        var code: Int32 = 0
        var remade = false
        var attempts = 0
        while attempts < UploadSink.creationAttempts {
            attempts += 1
            let path = temporaryDirectory + "/" + names.temporaryName()
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644)
            if fd >= 0 {
                let descriptor = Descriptor(fd)
                descriptor.setNonBlocking()
                let temporary = Temporary(path: path, name: name)
                temporaries.append(temporary)
                openDescriptors.insert(descriptor)
                return (descriptor, temporary)
            }
            code = cselect_errno()
            if code == ENOENT && !remade {
                remade = true
                attempts -= 1
                if mkdir(temporaryDirectory, 0o700) != 0 {
                    let failed = cselect_errno()
                    if failed != EEXIST {
                        code = failed
                        break
                    }
                }
            } else if code != EEXIST {
                break
            }
        }
        throw UploadNames.failure(code, "cannot create a file in \(temporaryDirectory)")
    }
}
