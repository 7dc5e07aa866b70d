import Server
#if canImport(Glibc)
import Glibc
#endif

/// `webserv [-t] [config]`: -t checks the configuration and exits.
var arguments = Array(CommandLine.arguments.dropFirst())
let checkOnly = arguments.first == "-t"
if checkOnly { arguments.removeFirst() }
if arguments.count > 1 || arguments.first?.hasPrefix("-") == true {
    fputs("usage: webserv [-t] [config-file]   (default: conf/default.conf)\n", stderr)
    exit(2)
}
let configPath = arguments.first ?? "conf/default.conf"

let config: Config
do {
    config = try ConfigParser.parse(contentsOf: configPath)
} catch {
    fputs("webserv: \(error)\n", stderr)
    exit(1)
}
if checkOnly {
    print("webserv: the configuration file \(configPath) syntax is ok")
    exit(0)
}
let server: Server
do {
    server = try Server(config: config)
} catch {
    fputs("webserv: \(error)\n", stderr)
    exit(1)
}
for url in server.listenURLs {
    print("webserv: listening on \(url)")
}
print("webserv: descriptor limit \(server.descriptorLimit) (soft limit raised to the hard limit), "
      + "up to \(server.maxConnections) connections, \(server.cgiMaxProcesses) CGI processes")
print("webserv: \(server.ioBufferMemory >> 10) KiB of I/O buffers")
fflush(stdout)
exit(server.run())
