/// A request that cannot be served, carrying the status it is answered with.
/// One place (the connection) turns these into error responses.
public struct HTTPError: Error, Equatable, Sendable {
    public let status: Status
    /// For the error log and tests; never sent to the client.
    public let reason: String

    public init(_ status: Status, _ reason: String) {
        self.status = status
        self.reason = reason
    }
}
