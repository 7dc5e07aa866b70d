import Server
#if canImport(Glibc)
import Glibc
#endif

/// `webserv [-t | -s SIGNAL | -v | -h] [config]` (CommandLineOptions).
let version = "1.0"

/// The configuration at `path`, or nil once its mistake is printed.
func readConfig(_ path: String) -> Config? {
    do {
        return try ConfigParser.parse(contentsOf: path)
    } catch {
        fputs("webserv: \(error)\n", stderr)
        return nil
    }
}

/// Runs a command that does not serve (`-t`, `-s`, `-v`, `-h`, or a mistake) and returns its exit status; nil
/// to serve. A function, so that what it made is released before exit(): AddressSanitizer's leak check runs
/// at exit and would take a message still held for a leak.
func runOneShot(_ options: CommandLineOptions) -> Int32? {
    switch options {
    case .invalid(let message):
        fputs("webserv: \(message)\n" + CommandLineOptions.usage, stderr)
        return 2
    case .help:
        print(CommandLineOptions.usage, terminator: "")
        return 0
    case .version:
        print("webserv version: webserv/\(version)")
        return 0
    case .check(let path):
        guard readConfig(path) != nil else { return 1 }
        print("webserv: the configuration file \(path) syntax is ok")
        return 0
    case .signal(let signal, let path):
        guard let config = readConfig(path) else { return 1 }
        guard let pidPath = config.pidFile else {
            fputs("webserv: no \"pid\" directive in \(path): the running instance cannot be found\n", stderr)
            return 1
        }
        switch RunningInstance.find(through: PidFile(path: pidPath)) {
        case .failure(let error):
            fputs("webserv: \(error)\n", stderr)
            return 1
        case .success(let instance):
            if let failure = instance.send(signal) {
                fputs("webserv: \(failure)\n", stderr)
                return 1
            }
            return 0
        }
    case .serve:
        return nil
    }
}

let options = CommandLineOptions(Array(CommandLine.arguments.dropFirst()))
if let status = runOneShot(options) { exit(status) }
guard case .serve(let configPath) = options, let config = readConfig(configPath) else { exit(1) }
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
