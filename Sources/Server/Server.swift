/// Config → listeners → reactor. Placeholder until the reactor lands.
public final class Server {
    public init(config: Config) {}
    public func run() -> Int32 { 0 }
}
