import Foundation
import Testing

/// Two user files made by the real tools (`htpasswd -B`: bcrypt; `openssl passwd -6`: sha512-crypt), an
/// area protected by each, a protected CGI script and an open area.
enum AuthFixture {
    static let page = "<p>members only</p>\n"
    static let staffPage = "<p>staff only</p>\n"
    /// RFC 7617 §2: the password may contain a colon, the user-id may not.
    static let staffPassword = "se:cret"

    /// Prints what the script was told, and leaves a mark so a refused request can be seen not to run it.
    static let whoami = """
        import os
        open(os.environ["DOCUMENT_ROOT"] + "/../ran", "a").write("x")
        print("Content-Type: text/plain\\r\\n\\r", end="\\n")
        for name in ["REMOTE_USER", "AUTH_TYPE", "HTTP_AUTHORIZATION"]:
            print(name + "=" + os.environ.get(name, "<unset>"))
        """

    static let config = """
        server {
            listen 127.0.0.1:@PORT@;
            root @ROOT@;
            location /members/ {
                auth_basic "Members only";
                auth_basic_user_file @DIR@/users-bcrypt;
            }
            location /staff/ {
                auth_basic "Staff";
                auth_basic_user_file users-sha512;
            }
            location /scripts/ {
                auth_basic "Scripts";
                auth_basic_user_file @DIR@/users-bcrypt;
                cgi .py /usr/bin/python3;
            }
            location /open/ {
            }
        }
        """

    static func bcryptLine(user: String, password: String) throws -> String {
        let line = try Subprocess.output("htpasswd", arguments: ["-nbB", user, password]).trimmingCharacters(in: .whitespacesAndNewlines)
        guard line.hasPrefix(user + ":$2") else { throw HarnessError("unexpected htpasswd output: \(line)") }
        return line
    }

    static func sha512Line(user: String, password: String) throws -> String {
        let hash = try Subprocess.output("openssl", arguments: ["passwd", "-6", password]).trimmingCharacters(in: .whitespacesAndNewlines)
        guard hash.hasPrefix("$6$") else { throw HarnessError("unexpected openssl output: \(hash)") }
        return user + ":" + hash
    }

    static func start() throws -> (TestSite, Webserv) {
        let site = try TestSite()
        try site.write("users-bcrypt", "# made by htpasswd -B\n" + (try bcryptLine(user: "demo", password: "demo"))
                       + "\n" + (try bcryptLine(user: "other", password: "pass")) + "\n", inDocroot: false)
        try site.write("users-sha512", try sha512Line(user: "alice", password: staffPassword) + "\n", inDocroot: false)
        try site.write("members/index.html", page)
        try site.write("staff/index.html", staffPage)
        try site.write("scripts/whoami.py", whoami)
        try site.write("open/index.html", "<p>open</p>\n")
        return (site, try Webserv.start(config, site: site))
    }

    /// conf/default.conf as shipped, with its port swapped and its relative paths made absolute (the copy
    /// lives in a temp directory).
    static func startDemoSite() throws -> (TestSite, Webserv) {
        let site = try TestSite()
        let text = try String(contentsOfFile: Repo.root.path + "/conf/default.conf", encoding: .utf8)
        #expect(text.contains("auth_basic_user_file htpasswd;"), "conf/default.conf does not protect /private/")
        let config = text
            .replacingOccurrences(of: "listen 127.0.0.1:8080;", with: "listen 127.0.0.1:@PORT@;")
            .replacingOccurrences(of: "../www", with: Repo.root.path + "/www")
            .replacingOccurrences(of: "include mime.types;", with: "include \(Repo.root.path)/conf/mime.types;")
            .replacingOccurrences(of: "auth_basic_user_file htpasswd;",
                                  with: "auth_basic_user_file \(Repo.root.path)/conf/htpasswd;")
        return (site, try Webserv.start(config, site: site, configName: "default.conf"))
    }

    static func basic(_ user: String, _ password: String) -> String {
        "Authorization: Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }
}

extension Integration {
    @Suite struct BasicAuthentication {
        typealias F = AuthFixture

        @Test func noCredentialsGet401WithTheRealmsChallenge() throws {
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            for (path, realm) in [("/members/", "Members only"), ("/members/index.html", "Members only"),
                                  ("/members/no-such-file", "Members only"), ("/staff/", "Staff")] {
                for method in ["GET", "HEAD"] {
                    let response = try server.get(path, headers: [], method: method)
                    #expect(response.status == 401, "\(method) \(path)")
                    #expect(response.headerValues("WWW-Authenticate") == ["Basic realm=\"\(realm)\""], "\(method) \(path)")
                    #expect(!response.text.contains("members only"))
                }
            }
        }

        @Test func wrongCredentialsGet401() throws {
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            let attempts = [
                F.basic("demo", "wrong"), F.basic("demo", ""), F.basic("demo", "demo "), F.basic("Demo", "demo"),
                F.basic("nobody", "demo"), F.basic("alice", F.staffPassword), F.basic("other", "demo"),
                "Authorization: Bearer " + Data("demo:demo".utf8).base64EncodedString(),
                "Authorization: Basic " + Data("demo".utf8).base64EncodedString(),
                "Authorization: Basic !!!!", "Authorization: Basic", "Authorization: demo:demo",
            ]
            for header in attempts {
                let response = try server.get("/members/index.html", headers: [header])
                #expect(response.status == 401, "\(header)")
                #expect(response.header("WWW-Authenticate") == "Basic realm=\"Members only\"", "\(header)")
            }
            let staff = try server.get("/staff/", headers: [F.basic("alice", "se")])
            #expect(staff.status == 401)
        }

        @Test func rightCredentialsGetThePage() throws {
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            for header in [F.basic("demo", "demo"), F.basic("other", "pass"),
                           "Authorization: basic " + Data("demo:demo".utf8).base64EncodedString()] {
                let response = try server.get("/members/index.html", headers: [header])
                #expect(response.status == 200, "\(header)")
                #expect(response.text == F.page)
                #expect(response.header("WWW-Authenticate") == nil)
            }
            let staff = try server.get("/staff/", headers: [F.basic("alice", F.staffPassword)])
            #expect(staff.status == 200)
            #expect(staff.text == F.staffPage)
            let missing = try server.get("/members/no-such-file", headers: [F.basic("demo", "demo")])
            #expect(missing.status == 404)
            let open = try server.get("/open/")
            #expect(open.status == 200)
            #expect(open.text == "<p>open</p>\n")
        }

        @Test func curlSignsInWithUserAndPassword() throws {
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            let url = "http://127.0.0.1:\(server.port)/members/"
            let refused = try Curl.run([url], in: site)
            #expect(refused.status == 401)
            #expect(refused.header("WWW-Authenticate") == "Basic realm=\"Members only\"")
            let signedIn = try Curl.run(["-u", "demo:demo", url], in: site)
            #expect(signedIn.exitCode == 0, "curl: \(signedIn.stderr)")
            #expect(signedIn.status == 200)
            #expect(signedIn.body.text == F.page)
            let staff = try Curl.run(["-u", "alice:\(F.staffPassword)", "http://127.0.0.1:\(server.port)/staff/"], in: site)
            #expect(staff.status == 200)
        }

        @Test func cgiUnderAuthSeesRemoteUserAndAuthTypeButNotThePassword() throws {
            let (site, server) = try F.start()
            defer { server.stop(); _ = site }
            let marker = site.directory + "/ran"
            let refused = try server.get("/scripts/whoami.py", headers: [F.basic("demo", "nope")])
            #expect(refused.status == 401)
            #expect(!FileManager.default.fileExists(atPath: marker), "the script ran for a refused request")
            let response = try server.get("/scripts/whoami.py", headers: [F.basic("demo", "demo")])
            #expect(response.status == 200)
            let lines = Set(response.text.split(separator: "\n").map(String.init))
            #expect(lines.contains("REMOTE_USER=demo"), "\(response.text)")
            #expect(lines.contains("AUTH_TYPE=Basic"), "\(response.text)")
            #expect(lines.contains("HTTP_AUTHORIZATION=<unset>"), "\(response.text)")
            #expect(FileManager.default.fileExists(atPath: marker))
        }

        @Test func demoSitesPrivateAreaAsksForThePassword() throws {
            let (site, server) = try AuthFixture.startDemoSite()
            defer { server.stop(); _ = site }
            let refused = try server.get("/private/")
            #expect(refused.status == 401)
            #expect(refused.header("WWW-Authenticate") == "Basic realm=\"Members only\"")
            let page = try server.get("/private/", headers: [F.basic("demo", "demo")])
            #expect(page.status == 200)
            #expect(page.body == FileManager.default.contents(atPath: Repo.root.path + "/www/private/index.html").map { [UInt8]($0) })
            #expect(try server.get("/", headers: []).status == 200)
            #expect(Links.extract(from: try server.get("/").text).contains("/private/"))
        }

        @Test func plainTextPasswordFailsTheConfigCheckWithFileAndLine() throws {
            let site = try TestSite()
            try site.write("users-plain", "# a comment\n" + (try F.bcryptLine(user: "demo", password: "demo"))
                           + "\nplain:demo\n", inDocroot: false)
            let path = try site.write("plain.conf", """
                server {
                    listen 127.0.0.1:8080;
                    root \(site.docroot);
                    location /p/ {
                        auth_basic "P";
                        auth_basic_user_file users-plain;
                    }
                }
                """, inDocroot: false)
            let check = try WebservRun(["-t", path], workingDirectory: site.directory)
            #expect(check.exitedNormally)
            #expect(check.status == 1)
            #expect(check.stderr.contains("users-plain:3: "), "stderr: \(check.stderr)")
            #expect(!check.stdout.contains("ok"), "stdout: \(check.stdout)")
            let start = try WebservRun([path], workingDirectory: site.directory)
            #expect(start.status == 1)
            #expect(start.stderr.contains("users-plain:3: "), "stderr: \(start.stderr)")
        }

        @Test func missingUserFileFailsTheConfigCheck() throws {
            let site = try TestSite()
            let path = try site.write("missing.conf", """
                server {
                    listen 127.0.0.1:8080;
                    root \(site.docroot);
                    auth_basic "P";
                    auth_basic_user_file no-such-file;
                }
                """, inDocroot: false)
            let check = try WebservRun(["-t", path], workingDirectory: site.directory)
            #expect(check.status == 1)
            #expect(check.stderr.contains("no-such-file"), "stderr: \(check.stderr)")
        }
    }
}
