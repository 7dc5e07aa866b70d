/// The block a directive sits in.
enum ConfigContext: Hashable {
    case main
    case server
    case location
}

/// Where a directive may appear, how many arguments it takes, whether it opens a block, and whether it may be
/// given more than once in one block: the checks every directive passes before its value is looked at.
struct DirectiveRule {
    let contexts: Set<ConfigContext>
    let arguments: ClosedRange<Int>
    var opensBlock = false
    var repeatable = false

    private static let anywhere: Set<ConfigContext> = [.server, .location]
    private static let everywhere: Set<ConfigContext> = [.main, .server, .location]
    private static let many = Int.max

    static let all: [String: DirectiveRule] = [
        "server": DirectiveRule(contexts: [.main], arguments: 0...0, opensBlock: true, repeatable: true),
        "max_connections": DirectiveRule(contexts: [.main], arguments: 1...1),
        "access_log": DirectiveRule(contexts: [.main], arguments: 1...1),
        "error_log": DirectiveRule(contexts: [.main], arguments: 1...1),
        "shutdown_timeout": DirectiveRule(contexts: [.main], arguments: 1...1),
        "limit_conn_per_client": DirectiveRule(contexts: [.main], arguments: 1...1),
        "cgi_max_processes": DirectiveRule(contexts: [.main], arguments: 1...1),
        "cgi_queue_timeout": DirectiveRule(contexts: [.main], arguments: 1...1),
        "io_buffer_memory": DirectiveRule(contexts: [.main], arguments: 1...1),
        "set_real_ip_from": DirectiveRule(contexts: [.main], arguments: 1...1, repeatable: true),
        "real_ip_header": DirectiveRule(contexts: [.main], arguments: 1...1),
        "include": DirectiveRule(contexts: everywhere, arguments: 1...1, repeatable: true),
        "types": DirectiveRule(contexts: everywhere, arguments: 0...0, opensBlock: true, repeatable: true),
        "default_type": DirectiveRule(contexts: everywhere, arguments: 1...1),
        "pid": DirectiveRule(contexts: [.main], arguments: 1...1),

        "listen": DirectiveRule(contexts: [.server], arguments: 1...many, repeatable: true),
        "server_name": DirectiveRule(contexts: [.server], arguments: 1...many, repeatable: true),
        "location": DirectiveRule(contexts: [.server], arguments: 1...2, opensBlock: true, repeatable: true),
        "keepalive_timeout": DirectiveRule(contexts: [.server], arguments: 1...1),
        "client_header_timeout": DirectiveRule(contexts: [.server], arguments: 1...1),
        "client_body_timeout": DirectiveRule(contexts: [.server], arguments: 1...1),
        "send_timeout": DirectiveRule(contexts: [.server], arguments: 1...1),

        "root": DirectiveRule(contexts: anywhere, arguments: 1...1),
        "alias": DirectiveRule(contexts: [.location], arguments: 1...1),
        // Array directives: each occurrence in a block adds to the list (nginx).
        "index": DirectiveRule(contexts: anywhere, arguments: 1...many, repeatable: true),
        "error_page": DirectiveRule(contexts: anywhere, arguments: 2...many, repeatable: true),
        "cgi": DirectiveRule(contexts: anywhere, arguments: 2...2, repeatable: true),
        "autoindex": DirectiveRule(contexts: anywhere, arguments: 1...1),
        "autoindex_exact_size": DirectiveRule(contexts: anywhere, arguments: 1...1),
        "autoindex_format": DirectiveRule(contexts: anywhere, arguments: 1...1),
        "default_language": DirectiveRule(contexts: anywhere, arguments: 1...1),
        "charset": DirectiveRule(contexts: anywhere, arguments: 1...1),
        "client_max_body_size": DirectiveRule(contexts: anywhere, arguments: 1...1),
        "allow_methods": DirectiveRule(contexts: anywhere, arguments: 1...many),
        "return": DirectiveRule(contexts: anywhere, arguments: 1...2),
        "cgi_timeout": DirectiveRule(contexts: anywhere, arguments: 1...1),
        "cgi_path_info": DirectiveRule(contexts: anywhere, arguments: 1...1),
        "upload_store": DirectiveRule(contexts: anywhere, arguments: 1...1),
        "client_body_temp_path": DirectiveRule(contexts: anywhere, arguments: 1...1),
        "auth_basic": DirectiveRule(contexts: anywhere, arguments: 1...1),
        "auth_basic_user_file": DirectiveRule(contexts: anywhere, arguments: 1...1),
        "stub_status": DirectiveRule(contexts: anywhere, arguments: 0...0),
        "cgi_status": DirectiveRule(contexts: anywhere, arguments: 0...0),
        "gzip_static": DirectiveRule(contexts: anywhere, arguments: 1...1),
    ]
}
