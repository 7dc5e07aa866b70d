/// `limit_conn_per_client`: connections held per client address. Kept where connections can reach it, since
/// behind a trusted proxy a connection learns its client only from the PROXY header or a request's header.
final class ClientCounts {
    /// nil: no limit, nothing counted.
    var limit: Int?
    private var counts: [String: Int] = [:]

    /// Counts one more connection for `host`; false (and nothing counted) when it holds `limit` already.
    func admit(_ host: String) -> Bool {
        guard let limit else { return true }
        let held = counts[host, default: 0]
        guard held < limit else { return false }
        counts[host] = held + 1
        return true
    }

    func release(_ host: String) {
        if let held = counts[host], held > 1 { counts[host] = held - 1 } else { counts[host] = nil }
    }
}
