import Foundation
@testable import GitSource
import PetrelTesting
import Testing

/// Review findings S10 (submodules get the parent's credentials for any URL) and S19 (credential hygiene).
@Suite("Credential scope: submodules, redaction", .serialized)
struct CredentialScopeTests {
    /// An HTTP server that answers 401 (asking for Basic credentials) to everything and logs each request's
    /// `Authorization` header.
    static let spy = """
        import http.server, sys
        log = open(sys.argv[2], "a")
        class Spy(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                log.write("%s %s\\n" % (self.path, self.headers.get("Authorization", "-")))
                log.flush()
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="spy"')
                self.send_header("Content-Length", "0")
                self.end_headers()
            do_POST = do_GET
            def log_message(self, *args):
                pass
        http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Spy).serve_forever()
        """

    @Test("a submodule on another host or over http:// receives neither the parent's password nor its token")
    func submoduleCredentials() async throws {
        try await withTemporaryDirectory { tmp in
            let port = try TestCommand.freePort()
            let log = tmp.appendingPathComponent("spy.log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            let spy = try ManagedProcess(
                name: "spy", executable: "/usr/bin/python3", arguments: ["-c", Self.spy, "\(port)", log.path],
                logFile: tmp.appendingPathComponent("spy.out"))
            defer { spy.stop() }
            try await TestCommand.waitForPorts([port], of: spy)
            let root = tmp.appendingPathComponent("srv")
            let lib = try GitTestRepository(root: root, name: "lib")
            let recorded = try lib.commit("lib", files: ["lib.yaml": "a: 1\n"])
            let parent = try GitTestRepository(root: root, name: "app")
            try parent.write([
                "app.yaml": "app\n",
                ".gitmodules": "[submodule \"lib\"]\n\tpath = vendor/lib\n\turl = http://127.0.0.1:\(port)/lib.git\n",
            ])
            try parent.git(["add", "-A"])
            try parent.git(["update-index", "--add", "--cacheinfo", "160000,\(recorded),vendor/lib"])
            try parent.git(["commit", "-q", "-m", "with lib"])
            try parent.git(["push", "-q", "origin", "HEAD:refs/heads/main"])
            try await withGitHTTPServers(root: root) { http in
                let cases = [
                    (http.httpsBasicURL(parent.relativePath),
                     GitCredentials(username: http.username, password: http.password, caCertificate: http.caCertificate)),
                    (http.bearerURL(parent.relativePath), GitCredentials(bearerToken: http.bearerToken)),
                ]
                for (url, credentials) in cases {
                    let error = await #expect(throws: GitSourceError.self) {
                        _ = try await GitClient().fetch(
                            url: url, reference: GitReference(branch: "main"), credentials: credentials,
                            into: tmp.appendingPathComponent("bare-\(UUID().uuidString)"), recurseSubmodules: true)
                    }
                    #expect(error?.reason == "AuthenticationFailed", "\(String(describing: error))")
                }
            }
            let seen = try String(contentsOf: log, encoding: .utf8)
            #expect(seen.contains("/lib.git/info/refs"), "the spy was asked: \(seen)")
            #expect(!seen.contains("Basic") && !seen.contains("Bearer"), "credentials leaked to the spy: \(seen)")
        }
    }

    @Test("credentials are scoped to the parent's scheme, host and port, never plain http")
    func scope() throws {
        let secret = GitCredentials(
            username: "u", password: "p", bearerToken: "t", identity: "k", knownHosts: "kh", caCertificate: "ca",
            tlsCertificate: "c", tlsKey: "key")
        let parent = try GitURL(parsing: "https://git.example.com/org/app.git")
        #expect(secret.scoped(from: parent, to: try GitURL(parsing: "https://GIT.example.com:443/org/lib.git")) == secret)
        for other in ["https://evil.example.com/lib.git", "https://git.example.com:8443/lib.git",
                      "http://git.example.com/lib.git", "ssh://git@git.example.com/lib.git"] {
            let scoped = secret.scoped(from: parent, to: try GitURL(parsing: other))
            #expect(scoped == GitCredentials(knownHosts: "kh", caCertificate: "ca"), "\(other)")
        }
        let plain = try GitURL(parsing: "http://git.example.com/app.git")
        #expect(!secret.scoped(from: plain, to: plain).hasHTTPSecrets, "never over plain http")
    }

    @Test("redacted URLs drop the whole user information: a token used as the user never shows")
    func redaction() throws {
        #expect(try GitURL(parsing: "https://ghp_secret123@github.com/org/repo.git").redacted == "https://github.com/org/repo.git")
        #expect(try GitURL(parsing: "https://user:hunter2@host:8443/r.git").redacted == "https://host:8443/r.git")
        #expect(try GitURL(parsing: "ssh://git@host:2222/r.git").redacted == "ssh://host:2222/r.git")
    }
}
