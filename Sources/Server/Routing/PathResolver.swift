/// Maps a decoded request path to a file-system path under a location's root or alias; never outside it.
public enum PathResolver {
    /// nil when the path cannot be mapped inside the location (the request is then a 404).
    public static func fileSystemPath(for path: String, in location: Location) -> String? { nil }
}
