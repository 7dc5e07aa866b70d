import Testing
@testable import Server

/// The top-level limits: clients per address, CGI processes and their line.
@Suite struct LimitsConfigTests {
    @Test func limitsAreOffOrSizedToTheMachineByDefault() throws {
        let config = try parse("server { }")
        #expect(config.limitConnPerClient == nil)
        #expect(config.cgiMaxProcesses == nil)
        #expect(config.cgiQueueTimeout == .seconds(5))
        #expect(Server.defaultCGIProcesses() >= 8)
    }

    @Test func limitsAreRead() throws {
        let config = try parse("limit_conn_per_client 10;\ncgi_max_processes 4;\ncgi_queue_timeout 1m;\nserver { }")
        #expect(config.limitConnPerClient == 10)
        #expect(config.cgiMaxProcesses == 4)
        #expect(config.cgiQueueTimeout == .seconds(60))
        #expect(try parse("limit_conn_per_client off;\nserver { }").limitConnPerClient == nil)
        #expect(try parse("cgi_queue_timeout 0;\nserver { }").cgiQueueTimeout == .zero)
    }

    static let refusals: [(String, String)] = [
        ("limit_conn_per_client 0;\nserver { }", #"test.conf:1: invalid number "0" in "limit_conn_per_client" directive"#),
        ("cgi_max_processes many;\nserver { }", #"test.conf:1: invalid number "many" in "cgi_max_processes" directive"#),
        ("cgi_queue_timeout 5x;\nserver { }", #"test.conf:1: invalid time "5x""#),
        ("server { limit_conn_per_client 3; }", #"test.conf:1: "limit_conn_per_client" directive is not allowed here"#),
        ("server { location / { cgi_max_processes 3; } }", #"test.conf:1: "cgi_max_processes" directive is not allowed here"#),
    ]

    @Test(arguments: refusals)
    func badLimitsAreRefused(text: String, message: String) {
        #expect(refusal(text) == "/etc/webserv/" + message,
                "\(refusal(text) ?? "accepted")")
    }
}
