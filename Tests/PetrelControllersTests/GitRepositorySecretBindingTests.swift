import Foundation
import KubeCore
import PetrelAPI
import GitSource
import KubeClient
import PetrelTesting
import Testing

@testable import PetrelControllers

/// An HTTP server on loopback that answers every request `401` and records its `Authorization` header: where a
/// credential would go if Petrel sent it to a URL a GitRepository's author chose.
struct CaptureServer: Sendable {
    let port: Int
    let log: URL

    /// `http://127.0.0.1:<port>/<path>`.
    func url(_ path: String) -> String { "http://127.0.0.1:\(port)/\(path)" }

    /// The `Authorization` headers received so far (`-` for a request without one).
    var authorizations: [String] {
        ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    static let script = """
        import http.server, sys
        class Capture(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                with open(sys.argv[2], "a") as f:
                    f.write(self.headers.get("Authorization", "-") + "\\n")
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="capture"')
                self.send_header("Content-Length", "0")
                self.end_headers()
            do_POST = do_GET
            def log_message(self, *args):
                pass
        http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Capture).serve_forever()
        """

    /// Runs `body` with a capture server; stops it afterwards.
    static func with<T>(in directory: URL, _ body: (CaptureServer) async throws -> T) async throws -> T {
        let port = try TestCommand.freePort()
        let log = directory.appendingPathComponent("captured-\(port).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let server = try ManagedProcess(
            name: "capture", executable: "/usr/bin/python3", arguments: ["-c", script, "\(port)", log.path],
            logFile: directory.appendingPathComponent("capture-\(port).out"))
        defer { server.stop() }
        try await TestCommand.waitForPorts([port], of: server)
        return try await body(CaptureServer(port: port, log: log))
    }
}

/// `spec.secretRef` in a shared cluster: a Secret bound to URLs (`source.petrel.dev/allowed-urls`) never leaves
/// for another URL, and `--require-secret-url-binding` (tenant mode) refuses Secrets that are not bound.
@Suite("GitRepository controller: where a Secret's credentials may go", .serialized)
struct GitRepositorySecretBindingTests {
    static let binding = "source.petrel.dev/allowed-urls"

    /// Waits until `name` is Ready=False with reason AccessDenied; returns its Ready message.
    static func accessDenied(_ env: GitRepositoryHarness, _ name: String) async throws -> String {
        let object = try await env.wait(name, for: "Ready=False AccessDenied") {
            $0.status.conditions.find(ConditionType.ready)?.reason == ConditionReason.accessDenied
        }
        #expect(object.status.conditions.find(ConditionType.ready)?.status == .false)
        #expect(object.status.conditions.find(ConditionType.fetchFailed)?.status == .true)
        #expect(object.status.artifact == nil)
        return object.status.conditions.find(ConditionType.ready)?.message ?? ""
    }

    @Test("a bound Secret is used for its URLs only: another host, another path and submodules are refused, unsent")
    func boundSecret() async throws {
        try await withTemporaryDirectory { tmp in
            let root = tmp.appendingPathComponent("srv")
            let repo = try GitTestRepository(root: root)
            let hash = try repo.commit("c", files: ["a.yaml": "a\n"])
            try await withGitHTTPServers(root: root) { http in
                try await CaptureServer.with(in: tmp) { capture in
                    try await withGitRepositoryController(tmp: tmp) { env in
                        try await env.createSecret(
                            "bound", ["bearerToken": http.bearerToken],
                            annotations: [Self.binding: "http://127.0.0.1:\(http.bearerPort)/git/"])
                        try await env.create("legit", spec: try env.spec(http.bearerURL(repo.relativePath), secret: "bound"))
                        try await env.waitReady("legit", revision: "main@sha1:\(hash)")

                        try await env.create("exfil", spec: try env.spec(capture.url("steal.git"), secret: "bound"))
                        let other = try await Self.accessDenied(env, "exfil")
                        #expect(other.contains("secret '\(env.namespace)/bound' may not be sent to"), "\(other)")
                        #expect(other.contains("allows only http://127.0.0.1:\(http.bearerPort)/git/"), "\(other)")

                        let outside = "http://127.0.0.1:\(http.bearerPort)/gitx/../git/\(repo.relativePath)"
                        try await env.create("outside", spec: try env.spec(outside, secret: "bound"))
                        _ = try await Self.accessDenied(env, "outside")

                        var submodules = try env.spec(http.bearerURL(repo.relativePath), secret: "bound")
                        submodules.recurseSubmodules = true
                        try await env.create("submodules", spec: submodules)
                        let message = try await Self.accessDenied(env, "submodules")
                        #expect(message.contains("spec.recurseSubmodules"), "\(message)")

                        #expect(capture.authorizations.isEmpty, "nothing reached the other host")
                        for name in ["exfil", "outside", "submodules"] {
                            let messages = env.visibleMessages(try await env.get(name))
                            #expect(messages.allSatisfy { !$0.contains(http.bearerToken) })
                        }
                    }
                }
            }
        }
    }

    @Test("--require-secret-url-binding refuses an unbound Secret; without it the Secret goes where spec.url says")
    func unboundSecret() async throws {
        let token = "unbound-t0ken-91ce"
        try await withTemporaryDirectory { tmp in
            try await CaptureServer.with(in: tmp) { capture in
                try await withGitRepositoryController(tmp: tmp, requireSecretURLBinding: true) { env in
                    try await env.createSecret("creds", ["bearerToken": token])
                    try await env.create("exfil", spec: try env.spec(capture.url("steal.git"), secret: "creds"))
                    let message = try await Self.accessDenied(env, "exfil")
                    #expect(message.contains("secret '\(env.namespace)/creds' is not bound to any URL"), "\(message)")
                    #expect(message.contains(Self.binding))
                    #expect(capture.authorizations.isEmpty)
                }
                // The single-team default trusts whoever writes GitRepositories with the namespace's Secrets.
                try await withGitRepositoryController(tmp: tmp) { env in
                    try await env.createSecret("creds", ["bearerToken": token])
                    try await env.create("exfil", spec: try env.spec(capture.url("steal.git"), secret: "creds"))
                    try await eventually("the token reaches the URL spec.url names", timeout: .seconds(30)) {
                        capture.authorizations.contains("Bearer \(token)") ? true : nil
                    }
                }
            }
        }
    }

    @Test("secretRef never reaches another namespace's Secret, whatever the reference says")
    func secretRefStaysInNamespace() async throws {
        let token = "other-namespace-t0ken-5d2e"
        try await withTemporaryDirectory { tmp in
            try await CaptureServer.with(in: tmp) { capture in
                try await withGitRepositoryController(tmp: tmp) { env in
                    let other = "other-\(UUID().uuidString.prefix(8).lowercased())"
                    _ = try await env.client.create(
                        GroupVersionResource(group: "", version: "v1", resource: "namespaces"),
                        ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(other)]])
                    var encoded = JSONObject()
                    encoded["bearerToken"] = .string(Data(token.utf8).base64EncodedString())
                    _ = try await env.client.create(
                        GroupVersionResource(group: "", version: "v1", resource: "secrets"), namespace: other,
                        [
                            "apiVersion": "v1", "kind": "Secret",
                            "metadata": ["name": "creds", "namespace": .string(other)], "data": .object(encoded),
                        ])
                    // A `namespace` in spec.secretRef is not part of the API: only the GitRepository's namespace
                    // is searched, with the controller's identity and no flag.
                    var spec = try JSONValueCoding.encode(try gitSpec(capture.url("steal.git")))
                    spec["secretRef"] = ["name": "creds", "namespace": .string(other)]
                    _ = try await env.client.create(
                        GitRepositoryHarness.resource, namespace: env.namespace,
                        [
                            "apiVersion": .string(GitRepository.apiVersion), "kind": "GitRepository",
                            "metadata": ["name": "foreign", "namespace": .string(env.namespace)], "spec": spec,
                        ])
                    let refused = try await env.waitNotReady("foreign")
                    let message = refused.status.conditions.find(ConditionType.ready)?.message ?? ""
                    #expect(message.contains("failed to get secret '\(env.namespace)/creds': not found"), "\(message)")
                    #expect(capture.authorizations.allSatisfy { !$0.contains(token) })
                }
            }
        }
    }

    @Test(
        "allowed-urls prefixes match scheme, host, port and whole path segments",
        arguments: [
            ("https://git.example/org/", "https://GIT.example:443/org/app.git", true),
            ("https://git.example/org", "https://git.example/org/app", true),
            ("https://git.example/org/app", "https://git.example/org/app.git", true),
            ("https://git.example", "https://git.example/anything", true),
            ("ssh://git@git.example/org/", "ssh://deploy@git.example:22/org/app", true),
            ("https://git.example/org", "https://git.example/org-evil/app", false),
            ("https://git.example/org/", "http://git.example/org/app", false),
            ("https://git.example/org/", "https://git.example:8443/org/app", false),
            ("https://git.example/org/", "https://git.example.evil/org/app", false),
            ("https://git.example/org/", "https://git.example/org/../evil/app", false),
            ("https://git.example/org/", "https://git.example/org/%2e%2e/evil", false),
        ])
    func prefixes(prefix: String, url: String, allowed: Bool) throws {
        #expect(SecretURLBinding.matches(try GitURL(parsing: url), prefix: try GitURL(parsing: prefix)) == allowed)
    }
}
