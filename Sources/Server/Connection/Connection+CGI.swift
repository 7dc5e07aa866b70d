/// The CGI glue: a body spooled, a place in line for a slot, the child started, its output relayed, local
/// redirects followed.
extension Connection {
    /// Runs `job`'s script, spooling its body first when it has one.
    func startCGI(_ job: CGIJob, body: BodyReader?) {
        guard let body else { return runWhenSlotFree(job, stdin: nil) }
        guard let file = context.makeTemporaryFile() else {
            return fail(HTTPError(.internalServerError, "cannot create a temporary file for the request body"))
        }
        readBody(body, into: .spool(BodySpool(file: file, pool: context.pool), then: job))
    }

    /// Starts the script now if a slot is free and nobody waits before us; otherwise takes a place in line,
    /// declaring no interest but in the client leaving, until `cgiSlotGranted` or `cgi_queue_timeout`.
    func runWhenSlotFree(_ job: CGIJob, stdin: Descriptor?) {
        enter(.awaitingCGI(job, stdin: stdin))
        if context.cgiSlotFree {
            cgiSlotGranted()
        } else {
            context.waitForCGI(self)
        }
    }

    /// This connection's turn for a CGI slot has come (the server calls it in line order).
    func cgiSlotGranted() {
        guard case .awaitingCGI(let job, let stdin) = state else { return }
        launch(job, stdin: stdin)
        processInput()
    }

    /// Forks the script; the stdin file, owned by the `.awaitingCGI` state until then, is closed here once
    /// the child has its copy (or by `fail` through `releaseResources` when it cannot start). A request
    /// without a body gives the script an empty stdin (RFC 3875 §4.2).
    private func launch(_ job: CGIJob, stdin: Descriptor?) {
        let request = job.request
        let environment = CGIEnvironment(
            request: request, script: job.script, remoteAddress: client.host, remotePort: client.port,
            https: clientUsedTLS, serverAddress: local.host, serverPort: local.port,
            serverName: CGIEnvironment.serverName(for: request, localAddress: local.host),
            bodyLength: job.bodyLength, authType: job.remoteUser == nil ? nil : "Basic", remoteUser: job.remoteUser,
            documentRoot: CGIEnvironment.documentRoot(of: request.location),
            searchPath: CGIEnvironment.inheritedSearchPath())
        let spawned: SpawnedProcess
        do {
            spawned = try spawnProcess(interpreter: job.script.interpreter, script: job.script.filePath,
                                       environment: environment.variables(), directory: job.script.directory,
                                       stdin: stdin ?? context.emptyInput)
        } catch {
            context.errorLog.warn("webserv: cannot start \(job.script.interpreter): \(error)")
            return fail(HTTPError(.badGateway, "CGI could not be started"))
        }
        stdin?.close()
        context.cgiStarted()
        job.terms.keepAlive = job.terms.keepAlive && !draining
        let process = CGIProcess(spawned, scriptName: job.script.scriptName,
                                 deadline: context.now + request.location.cgiTimeout)
        enter(.runningCGI(process, job))
    }

    /// Relays what the child did in this pass. Its output is read only as far as the room reserved in the
    /// send queue.
    func cgiEvents(_ process: CGIProcess, _ job: CGIJob, readable: FDSet) {
        let outcome = process.handleEvents(readable: readable, scratch: context.scratch,
                                           outputLimit: max(1, outbound.tailRoom - CGIProcess.chunkFraming),
                                           terms: job.terms, dateLine: context.dateLine, log: context.errorLog,
                                           now: context.now, into: &outbound)
        if let status = process.sentStatus, logEntry?.value.status == nil {
            logEntry?.value.status = status
            logEntry?.value.bodyStart = process.bodyStart
        }
        switch outcome {
        case .running:
            return
        case .finished:
            context.release(process, kill: false)
            process.closePipes()
            since = context.now
            finishResponse(keepAlive: job.terms.keepAlive && !process.endsWithConnection)
            processInput()
        case .failed(let error):
            context.errorLog.warn("webserv: cgi \(process.scriptName): \(error.reason)")
            endCGI(process)
            fail(error)
        case .broken:
            endCGI(process)
            beginClosing(linger: false)
        case .localRedirect(let path):
            endCGI(process)
            followLocalRedirect(to: path, job)
        }
    }

    /// RFC 3875 §6.2.2: the server answers a local redirect as a GET of the new path, planned as any request.
    /// The answer keeps the original request's terms.
    private func followLocalRedirect(to path: String, _ job: CGIJob) {
        localRedirects += 1
        guard localRedirects <= Connection.maxLocalRedirects else {
            return fail(HTTPError(.badGateway, "CGI local redirect to \(path) loops"))
        }
        let head = RequestHead(method: job.terms.isHead ? .head : .get, methodToken: job.terms.isHead ? "HEAD" : "GET",
                               target: path, version: .http11, headers: Headers(), headLength: 0)
        let plan = RequestPlan(for: head, arrivingOn: local, from: client.host, responder: responder,
                               draining: draining)
        switch plan.action {
        case .respond(let response, _, _):
            start(response, job.terms)
            processInput()
        case .runCGI(let next, _):
            next.terms = job.terms
            runWhenSlotFree(next, stdin: nil)
        case .discardBody, .upload, .fail:
            fail(HTTPError(.badGateway, "CGI local redirect to \(path) failed"))
        }
    }

    /// A script redirecting to itself must not run forever.
    private static let maxLocalRedirects = 5

    func endCGI(_ process: CGIProcess) {
        process.closePipes()
        context.release(process, kill: true)
    }
}
