/// What a connection does with a request whose head has arrived, decided before any of its body is read.
/// Routing, body framing, the size limit, `Expect: 100-continue`, keep-alive and authentication are settled
/// here in one decision, which the unit tests check without sockets; the connection only carries it out.
struct RequestPlan {
    /// The steps, one per way a request is answered.
    enum Action {
        /// Answer now and read no body. `linger`: the client may still be sending one, so a close waits for
        /// it a moment (a close with unread input would reset the connection and lose the answer).
        case respond(Response, ResponseTerms, linger: Bool)
        /// Read the body and drop it (nothing consumes it), then answer.
        case discardBody(BodyReader, then: Response, ResponseTerms)
        /// Run a script; its body, if it has one, is read into a spool first.
        case runCGI(CGIJob, body: BodyReader?)
        /// Store the body as files (upload or PUT).
        case upload(UploadJob, body: BodyReader)
        /// The request cannot be answered as asked: answer `error`'s status and close.
        case fail(HTTPError)
    }

    /// nil when the request could not be routed (a malformed target), or was answered before routing.
    let request: RoutedRequest?
    /// The timeouts of the virtual server that answers (nil: the connection keeps those it has).
    let timeouts: Timeouts?
    let action: Action
    /// The client waits for `100 Continue` before it sends the body this plan reads.
    let sendsContinue: Bool

    /// `client` is the peer's address (failed logins are counted per address); while `draining`, an answer
    /// ends the connection. `now` is this loop pass's clock reading.
    init(for head: RequestHead, arrivingOn local: Endpoint, from client: String, responder: Responder,
         draining: Bool, now: ContinuousClock.Instant = .now) {
        // A plain GET of a hot file: its ready answer, with no routing at all (HotResponses says when).
        if let ready = responder.hotAnswer(to: head, arrivingOn: local, now: now) {
            var terms = ResponseTerms(head)
            terms.keepAlive = terms.keepAlive && !draining
            self.init(nil, .respond(ready.response, terms, linger: false), timeouts: ready.timeouts)
            return
        }
        let request: RoutedRequest
        let framing: BodyFraming
        do {
            request = try responder.route(head, arrivingOn: local)
            framing = try head.bodyFraming()
        } catch {
            self.init(nil, .fail(error))
            return
        }
        let terms = ResponseTerms(head)
        let limit = request.location.clientMaxBodySize
        if case .length(let length) = framing, limit > 0, length > limit {
            // Declared too large: answered before any handler acts (a DELETE must not delete first), and the
            // body is not read (RFC 9110 §15.5.14).
            self.init(request, .respond(responder.errorResponse(.payloadTooLarge, for: request),
                                        terms.withoutKeepAlive(), linger: true))
            return
        }
        let hasBody = framing != .none && framing != .length(0)
        // RFC 9110 §10.1.1: a client that waits for 100 Continue gets it once we will read its body.
        let continues = head.expectsContinue && framing != .none
        switch responder.handle(request, from: client) {
        case .cgi(let script, let user):
            let job = CGIJob(request: request, script: script, terms: terms, remoteUser: user,
                             bodyLength: hasBody ? nil : framing.length)
            self.init(request, .runCGI(job, body: hasBody ? BodyReader(framing: framing, limit: limit) : nil),
                      sendsContinue: continues)
        case .upload(let directory, let temporaries, let kind, let uriBase, let seeOther):
            let job = UploadJob(directory: directory, temporaries: temporaries, kind: kind, uriBase: uriBase,
                                seeOther: seeOther, terms: terms)
            self.init(request, .upload(job, body: BodyReader(framing: hasBody ? framing : .length(0), limit: limit)),
                      sendsContinue: continues)
        case .response(let response):
            var terms = terms
            terms.keepAlive = terms.keepAlive && !draining && !response.closesConnection
            if !hasBody {
                self.init(request, .respond(response, terms, linger: false))
            } else if head.expectsContinue {
                // The client holds its body until we say 100 Continue: this answer needs none of it, so it goes
                // out at once and the unsent body ends the connection.
                self.init(request, .respond(response, terms.withoutKeepAlive(), linger: true))
            } else if case .length = framing, !terms.keepAlive {
                // The connection ends with this answer: its body need not be read.
                self.init(request, .respond(response, terms, linger: false))
            } else {
                self.init(request, .discardBody(BodyReader(framing: framing, limit: limit), then: response, terms))
            }
        }
    }

    private init(_ request: RoutedRequest?, _ action: Action, sendsContinue: Bool = false,
                 timeouts: Timeouts? = nil) {
        self.request = request
        self.timeouts = timeouts ?? request?.server.timeouts
        self.action = action
        self.sendsContinue = sendsContinue
    }
}

/// A script to run for a request, and what its answer must respect. A class, owned by one connection: its
/// states carry a reference, so copying a state stays cheap.
final class CGIJob {
    let request: RoutedRequest
    let script: CGIScript
    var terms: ResponseTerms
    /// The user Basic authentication let through, for REMOTE_USER.
    let remoteUser: String?
    /// Bytes on the script's stdin (counted after de-chunking); nil when the request has no body.
    var bodyLength: Int?

    init(request: RoutedRequest, script: CGIScript, terms: ResponseTerms, remoteUser: String?, bodyLength: Int?) {
        self.request = request
        self.script = script
        self.terms = terms
        self.remoteUser = remoteUser
        self.bodyLength = bodyLength
    }
}

/// Files to store from a request's body, and what the answer must respect (a class, as CGIJob).
final class UploadJob {
    let directory: String
    let temporaries: String
    let kind: UploadSink.Kind
    /// The URI of `directory`, for the links in the answer.
    let uriBase: String
    /// A browser's form post: answered with 303 to the result page.
    let seeOther: Bool
    let terms: ResponseTerms

    init(directory: String, temporaries: String, kind: UploadSink.Kind, uriBase: String, seeOther: Bool,
         terms: ResponseTerms) {
        self.directory = directory
        self.temporaries = temporaries
        self.kind = kind
        self.uriBase = uriBase
        self.seeOther = seeOther
        self.terms = terms
    }

    var isPut: Bool {
        if case .put = kind { return true }
        return false
    }
}
