import Foundation
import Testing

/// `make install`: the tree under PREFIX (staged under DESTDIR), installed paths naming PREFIX only, and a
/// systemd unit that is written but never acted on.
extension Integration {
    @Suite struct Install {
        /// Runs `make install` in the repository with `variables`, a `systemctl` that records any call first
        /// in PATH.
        static func install(_ variables: [String], in site: TestSite) throws -> Subprocess.Outcome {
            let spy = site.directory + "/spy"
            try FileManager.default.createDirectory(atPath: spy, withIntermediateDirectories: true)
            try site.write("spy/systemctl", "#!/bin/sh\necho \"$@\" >> \(site.directory)/systemctl-called\n",
                           inDocroot: false)
            chmod(spy + "/systemctl", 0o755)
            let path = spy + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
            return try Subprocess.run("make", arguments: ["-s", "-C", Repo.root.path, "install"] + variables,
                                      environment: ["PATH": path], timeout: .seconds(60))
        }

        static func text(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

        @Test func stagedInstallNamesPrefixNeverDestdir() throws {
            let site = try TestSite()
            let stage = site.directory + "/stage"
            let run = try Install.install(["DESTDIR=\(stage)", "PREFIX=/opt/x"], in: site)
            #expect(run.succeeded, "\(run.stderr.text)")
            let root = stage + "/opt/x"
            for path in ["sbin/webserv", "etc/webserv/default.conf", "etc/webserv/vhosts.conf", "etc/webserv/htpasswd",
                         "share/webserv/www/index.html", "share/webserv/www/style.css.gz",
                         "lib/systemd/system/webserv.service"] {
                #expect(FileManager.default.fileExists(atPath: root + "/" + path), "\(path) missing")
            }
            for directory in ["var/lib/webserv/uploads", "var/log/webserv", "var/run/webserv"] {
                var isDirectory: ObjCBool = false
                #expect(FileManager.default.fileExists(atPath: root + "/" + directory, isDirectory: &isDirectory)
                        && isDirectory.boolValue, "\(directory) missing")
            }
            #expect(FileManager.default.isExecutableFile(atPath: root + "/sbin/webserv"))
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: root + "/share/webserv/www/uploads")
                    == "/opt/x/var/lib/webserv/uploads")

            let config = Install.text(root + "/etc/webserv/default.conf")
            #expect(config.contains("\n    root /opt/x/share/webserv/www;"))
            #expect(config.contains("\npid /opt/x/var/run/webserv/webserv.pid;\n"))
            #expect(config.contains("upload_store /opt/x/share/webserv/www/uploads;"))
            #expect(!config.contains("../www"))
            #expect(Install.text(root + "/etc/webserv/vhosts.conf").contains("root /opt/x/share/webserv/www/files;"))

            let unit = Install.text(root + "/lib/systemd/system/webserv.service")
            for line in ["Type=simple", "ExecStartPre=/opt/x/sbin/webserv -t /opt/x/etc/webserv/default.conf",
                         "ExecStart=/opt/x/sbin/webserv /opt/x/etc/webserv/default.conf",
                         "ExecReload=/bin/kill -HUP $MAINPID", "User=webserv",
                         "AmbientCapabilities=CAP_NET_BIND_SERVICE", "NoNewPrivileges=yes", "ProtectSystem=strict",
                         "ReadWritePaths=/opt/x/var/lib/webserv /opt/x/var/log/webserv /opt/x/var/run/webserv"] {
                #expect(unit.contains("\n" + line + "\n"), "unit lacks \(line)")
            }
            #expect(unit.range(of: #"\nLimitNOFILE=\d+\n"#, options: .regularExpression) != nil)
            #expect(!unit.contains("/usr/local"))

            for file in [config, unit, Install.text(root + "/etc/webserv/vhosts.conf")] {
                #expect(!file.contains(stage), "DESTDIR leaked into an installed file")
            }
            #expect(!FileManager.default.fileExists(atPath: site.directory + "/systemctl-called"),
                    "systemctl was called: \(Install.text(site.directory + "/systemctl-called"))")
        }

        /// Installed where it runs (no DESTDIR): the installed binary accepts the installed configuration.
        @Test func installedServerChecksItsInstalledConfiguration() throws {
            let site = try TestSite()
            let prefix = site.directory + "/prefix"
            let run = try Install.install(["PREFIX=\(prefix)"], in: site)
            #expect(run.succeeded, "\(run.stderr.text)")
            for name in ["default.conf", "vhosts.conf"] {
                let check = try Subprocess.run(prefix + "/sbin/webserv", arguments: ["-t", prefix + "/etc/webserv/" + name],
                                               workingDirectory: "/", timeout: .seconds(10))
                #expect(check.succeeded, "\(name): \(check.stderr.text)")
            }
            #expect(!FileManager.default.fileExists(atPath: site.directory + "/systemctl-called"))
        }

        @Test func relativePrefixIsRefused() throws {
            let site = try TestSite()
            let run = try Install.install(["PREFIX=opt/x", "DESTDIR=\(site.directory)/stage"], in: site)
            #expect(!run.succeeded)
            #expect(run.stderr.text.contains("PREFIX must be an absolute path"))
        }
    }
}
