/// Where a log goes (`access_log` / `error_log`): nowhere, standard error, or a file opened for appending.
public enum LogTarget: Equatable, Sendable {
    case off
    case standardError
    case file(String)
}
