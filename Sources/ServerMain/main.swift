import Server
#if canImport(Glibc)
import Glibc
#endif

/// `webserv [-t | -s SIGNAL | -v | -h] [config]` (CommandLineOptions).
let version = "1.0"

func readConfig(_ path: String) -> Config {
    do {
        return try ConfigParser.parse(contentsOf: path)
    } catch {
        fputs("webserv: \(error)\n", stderr)
        exit(1)
    }
}

let configPath: String
switch CommandLineOptions(Array(CommandLine.arguments.dropFirst())) {
case .invalid(let message):
    fputs("webserv: \(message)\n" + CommandLineOptions.usage, stderr)
    exit(2)
case .help:
    print(CommandLineOptions.usage, terminator: "")
    exit(0)
case .version:
    print("webserv version: webserv/\(version)")
    exit(0)
case .check(let path):
    _ = readConfig(path)
    print("webserv: the configuration file \(path) syntax is ok")
    exit(0)
case .signal(let signal, let path):
    guard let pidPath = readConfig(path).pidFile else {
        fputs("webserv: no \"pid\" directive in \(path): the running instance cannot be found\n", stderr)
        exit(1)
    }
    switch RunningInstance.find(through: PidFile(path: pidPath)) {
    case .failure(let error):
        fputs("webserv: \(error)\n", stderr)
        exit(1)
    case .success(let instance):
        if let failure = instance.send(signal) {
            fputs("webserv: \(failure)\n", stderr)
            exit(1)
        }
        exit(0)
    }
case .serve(let path):
    configPath = path
}

let config = readConfig(configPath)
let server: Server
do {
    server = try Server(config: config)
} catch {
    fputs("webserv: \(error)\n", stderr)
    exit(1)
}
var pidFile = config.pidFile.map(PidFile.init(path:))
if let failure = pidFile?.write(getpid()) {
    fputs("webserv: \(failure)\n", stderr)
    exit(1)
}
for url in server.listenURLs {
    print("webserv: listening on \(url)")
}
print("webserv: descriptor limit \(server.descriptorLimit) (soft limit raised to the hard limit), "
      + "up to \(server.maxConnections) connections, \(server.cgiMaxProcesses) CGI processes")
print("webserv: \(server.ioBufferMemory >> 10) KiB of I/O buffers")
fflush(stdout)
let status = server.run()
pidFile?.remove()
exit(status)
