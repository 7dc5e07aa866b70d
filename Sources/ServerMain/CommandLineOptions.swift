/// What the command line asks for: `webserv [-t | -s SIGNAL | -v | -h] [config-file]`, nginx's flags.
enum CommandLineOptions: Equatable {
    case serve(config: String)
    /// `-t`: check the configuration and exit.
    case check(config: String)
    /// `-s reload|reopen|stop|quit`: signal the running instance named by the config's `pid` file.
    case signal(InstanceSignal, config: String)
    case version
    case help
    /// Not understood: the message, then the usage on standard error and exit status 2.
    case invalid(String)

    static let defaultConfig = "conf/default.conf"

    static let usage = """
        usage: webserv [-t | -s reload|reopen|stop|quit | -v | -h] [config-file]
          (no flag)  serve, reading config-file (default: \(defaultConfig))
          -t         check the configuration and exit
          -s SIGNAL  signal the running instance found through the configuration's `pid` file:
                       reload  re-read the configuration (SIGHUP)
                       reopen  reopen the log files (SIGUSR1)
                       quit    graceful stop: requests in flight finish (SIGTERM once)
                       stop    fast stop: connections closed, scripts killed (SIGTERM until it exits)
          -v         print the version and exit
          -h         print this help and exit

        """

    init(_ arguments: [String]) {
        var rest = arguments[...]
        var mode: (String, InstanceSignal?)?
        while let flag = rest.first, flag.hasPrefix("-"), flag != "-" {
            rest.removeFirst()
            guard mode == nil else {
                self = .invalid("only one of -t, -s, -v, -h may be given")
                return
            }
            switch flag {
            case "-t", "-v", "-h", "-?":
                mode = (flag, nil)
            case "-s":
                guard let name = rest.popFirst() else {
                    self = .invalid("option \"-s\" requires a parameter")
                    return
                }
                guard let signal = InstanceSignal(rawValue: name) else {
                    self = .invalid("invalid option: \"-s \(name)\"")
                    return
                }
                mode = (flag, signal)
            default:
                self = .invalid("invalid option: \"\(flag)\"")
                return
            }
        }
        guard rest.count <= 1 else {
            self = .invalid("one configuration file at most")
            return
        }
        let config = rest.first ?? CommandLineOptions.defaultConfig
        switch mode {
        case nil: self = .serve(config: config)
        case ("-t", _)?: self = .check(config: config)
        case ("-s", let signal?)?: self = .signal(signal, config: config)
        case ("-v", _)?: self = .version
        default: self = .help
        }
    }
}

/// The signals `-s` sends, by nginx's names.
enum InstanceSignal: String {
    case reload
    case reopen
    case stop
    case quit
}
