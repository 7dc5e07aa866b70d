/// The `listen` options met while reading a file, checked across servers once it is read (nginx's rules:
/// options are given once per address; a socket's own options need the address to have its own socket).
struct ListenOptionsTable {
    private var options: [Endpoint: ListenOptions] = [:]
    /// Where an address got non-default options, for messages.
    private var lines: [Endpoint: Int] = [:]

    mutating func add(_ statement: ConfigStatement, endpoint: Endpoint, source: ConfigSource) throws(ConfigError) {
        let parsed: ListenOptions
        switch ListenOptions.parse(statement.arguments.dropFirst()) {
        case .success(let value):
            parsed = value
        case .failure(let unknown):
            let index = statement.arguments.dropFirst().firstIndex(of: unknown.word) ?? 1
            throw source.error(statement.argumentLines[index], "invalid parameter \"\(unknown.word)\"")
        }
        guard parsed != ListenOptions() else {
            if options[endpoint] == nil { options[endpoint] = parsed }
            return
        }
        if lines[endpoint] != nil { throw source.error(statement.line, "duplicate listen options for \(endpoint)") }
        options[endpoint] = parsed
        lines[endpoint] = statement.line
    }

    /// SO_REUSEPORT is set on the socket bound; a specific address whose port a wildcard listen already
    /// takes has no socket of its own.
    func checked(_ source: ConfigSource) throws(ConfigError) -> [Endpoint: ListenOptions] {
        for (endpoint, line) in lines.sorted(by: { $0.value < $1.value }) where !endpoint.isWildcard {
            let wildcard = Endpoint(host: endpoint.host.contains(":") ? "::" : "0.0.0.0", port: endpoint.port)
            if options[endpoint]?.reusePort == true, options[wildcard] != nil {
                throw source.error(line, "\"reuseport\" on \(endpoint) needs its own socket, but \(wildcard) "
                                   + "receives its connections: put it on \(wildcard)")
            }
        }
        return options
    }
}
