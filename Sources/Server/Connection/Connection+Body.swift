/// The body phase: one state, `.readingBody(reader, sink)`, whatever the body is for.
extension Connection {
    /// Reads a body into `sink`, through select(), then carries on with what the sink says follows.
    func readBody(_ reader: BodyReader, into sink: BodySink) {
        enter(.readingBody(reader, sink))
        if reader.isComplete {
            do { try sink.finishInput() } catch { return fail(error) }
            if sink.isDone { return bodyComplete() }
        }
        processInput()
    }

    func startUpload(_ job: UploadJob, body: BodyReader) {
        let sink: UploadSink
        do {
            sink = try UploadSink(directory: job.directory, temporaryDirectory: job.temporaries, kind: job.kind,
                                  names: context.uploadNames, pool: context.pool)
        } catch {
            return fail(error, version: job.terms.version)
        }
        readBody(body, into: .upload(sink, then: job))
    }

    /// Decodes the buffered body bytes `reader` can take, consuming them from `inbound`.
    /// `maximum` bounds the input taken (decoded bytes are never more), to fit the room reserved for them.
    func takeBody(_ reader: inout BodyReader, maximum: Int) throws(HTTPError) -> [UInt8] {
        var decoded: [UInt8] = []
        let end = inbound.count - inboundStart > maximum ? inboundStart + maximum : inbound.count
        inboundStart += try reader.read(inbound, inboundStart..<end, into: &decoded)
        return decoded
    }

    /// select() reported the sink's file writable.
    func bodyFileWritable() {
        guard case .readingBody(let reader, let sink) = state else { return }
        do { try sink.fileWritable() } catch { return fail(error) }
        if reader.isComplete && sink.isDone { bodyComplete() }
        processInput()
    }

    /// The body is where it belongs: the response, the script or the upload's answer follows.
    func bodyComplete() {
        guard case .readingBody(_, let sink) = state else { return }
        switch sink {
        case .discard(let response, let terms):
            start(response.value, terms)
        case .spool(let spool, let job):
            // The whole body is on disk: the script gets the file as its stdin.
            spool.rewind()
            job.bodyLength = spool.length
            runWhenSlotFree(job, stdin: spool.file)
        case .upload(let sink, let job):
            // Every file is in place: 201 (or 204 for a replacing PUT).
            responder.filesChanged()
            // A reload since the request began: the configuration now in force caches answers too.
            if responder !== context.responder { context.responder.filesChanged() }
            start(responder.uploadResponse(sink.stored, uriBase: job.uriBase, isPut: job.isPut,
                                                   seeOther: job.seeOther), job.terms)
        }
    }
}
