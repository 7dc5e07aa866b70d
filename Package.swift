// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "webserv",
    products: [
        .executable(name: "webserv", targets: ["ServerMain"]),
    ],
    targets: [
        // Small static-inline C helpers over libc: fd sets past FD_SETSIZE, O_NONBLOCK, spawn, wait status.
        .systemLibrary(
            name: "CSelect",
            path: "Sources/CSelect",
            providers: [.apt(["libc6-dev"])]
        ),
        // Release builds skip the runtime exclusivity checks: a tenth of the instructions per request went
        // to them. Debug builds (the unit tests) keep them, so a conflicting access still shows there.
        .target(name: "Server", dependencies: ["CSelect"],
                swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]),
        .executableTarget(name: "ServerMain", dependencies: ["Server"]),
        .testTarget(name: "ServerTests", dependencies: ["Server", "CSelect"]),
        // Drives the real release ./webserv over 127.0.0.1; depends on nothing of ours on purpose.
        .testTarget(name: "IntegrationTests", dependencies: []),
    ],
    // One thread and one explicit loop: Swift 6's data-race checking has nothing to protect here and would
    // only fight libc's globals (stderr, environ).
    swiftLanguageModes: [.v5]
)
