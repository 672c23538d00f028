import ControllerRuntime
import Foundation
import KubeClient
import KubeCore
import PetrelAPI
import PetrelControllers
import PetrelTesting
import Testing

extension GitRepositoryHarness {
    /// Creates a Secret in the test namespace with `data` (base64-encoded here, as the API stores it) and
    /// `annotations`.
    func createSecret(_ name: String, _ data: [String: String], annotations: [String: String] = [:]) async throws {
        var encoded = JSONObject()
        for (key, value) in data.sorted(by: { $0.key < $1.key }) {
            encoded[key] = .string(Data(value.utf8).base64EncodedString())
        }
        var metadata: JSONValue = ["name": .string(name), "namespace": .string(namespace)]
        if !annotations.isEmpty { metadata["annotations"] = .object(JSONObject(annotations.map { ($0.key, JSONValue.string($0.value)) })) }
        _ = try await client.create(
            GroupVersionResource(group: "", version: "v1", resource: "secrets"), namespace: namespace,
            ["apiVersion": "v1", "kind": "Secret", "metadata": metadata, "data": .object(encoded)])
    }

    /// A spec following `main` of `url` with `spec.secretRef` set.
    func spec(_ url: String, secret: String) throws -> GitRepositorySpec {
        var spec = try gitSpec(url)
        spec.secretRef = LocalObjectReference(name: secret)
        return spec
    }

    /// Waits for Ready=False and returns the object.
    func waitNotReady(_ name: String) async throws -> GitRepository {
        try await wait(name, for: "Ready=False") { $0.status.conditions.isFalse(ConditionType.ready) }
    }

    /// Every message a user could see for `name`: conditions and events.
    func visibleMessages(_ object: GitRepository) -> [String] {
        object.status.conditions.map(\.message)
            + events.all.filter { $0.name == object.metadata.name }.map(\.message)
    }
}

@Suite("GitRepository controller: SSH and HTTP credentials from Secrets, against real servers", .serialized)
struct GitRepositoryAuthTests {
    @Test("SSH with identity and known_hosts from a Secret is Ready; a wrong known_hosts is refused, never accepted")
    func sshIdentityAndKnownHosts() async throws {
        try await withTemporaryDirectory { tmp in
            let root = tmp.appendingPathComponent("srv")
            let repo = try GitTestRepository(root: root)
            let hash = try repo.commit("c", files: ["deploy/a.yaml": "a: 1\n"])
            try await withSSHServer(in: tmp) { sshd in
                try await withGitRepositoryController(tmp: tmp) { env in
                    let url = sshd.url(repo.bare.path)
                    try await env.createSecret("ssh", ["identity": sshd.identity, "known_hosts": sshd.knownHosts])
                    try await env.create("ssh", spec: try env.spec(url, secret: "ssh"))
                    let ready = try await env.waitReady("ssh", revision: "main@sha1:\(hash)")
                    let file = try #require(env.file(ready.status.artifact))
                    #expect(try tarEntries(file) == ["deploy/", "deploy/a.yaml"])

                    try await env.createSecret(
                        "wrong-host", ["identity": sshd.identity, "known_hosts": sshd.wrongKnownHosts])
                    try await env.create("mismatch", spec: try env.spec(url, secret: "wrong-host"))
                    let refused = try await env.waitNotReady("mismatch")
                    let condition = try #require(refused.status.conditions.find(ConditionType.ready))
                    #expect(condition.reason == "AuthenticationFailed")
                    #expect(condition.message.contains("SSH host key verification failed for '[127.0.0.1]:\(sshd.port)'"))
                    #expect(condition.message.contains("does not match known_hosts"))
                    #expect(refused.status.conditions.find(ConditionType.fetchFailed)?.status == .true)
                    #expect(refused.status.artifact == nil)
                    let keyBody = sshd.identity.split(separator: "\n").dropFirst().first.map(String.init) ?? "?"
                    #expect(env.visibleMessages(refused).allSatisfy { !$0.contains(keyBody) })

                    try await env.createSecret("no-known-hosts", ["identity": sshd.identity])
                    try await env.create("unverified", spec: try env.spec(url, secret: "no-known-hosts"))
                    let unverified = try await env.waitNotReady("unverified")
                    #expect(
                        unverified.status.conditions.find(ConditionType.ready)?.message
                            .contains("'known_hosts' is required in the secret for SSH") == true)
                    #expect(unverified.status.artifact == nil)
                }
            }
        }
    }

    @Test("basic auth over HTTPS with ca.crt is Ready; a wrong password says authentication failed without echoing it")
    func basicAuthOverTLS() async throws {
        try await withTemporaryDirectory { tmp in
            let root = tmp.appendingPathComponent("srv")
            let repo = try GitTestRepository(root: root)
            let hash = try repo.commit("c", files: ["a.yaml": "a\n"])
            try await withGitHTTPServers(root: root) { http in
                try await withGitRepositoryController(tmp: tmp) { env in
                    let url = http.httpsBasicURL(repo.relativePath)
                    try await env.createSecret(
                        "basic", ["username": http.username, "password": http.password, "ca.crt": http.caCertificate])
                    try await env.create("basic", spec: try env.spec(url, secret: "basic"))
                    let ready = try await env.waitReady("basic", revision: "main@sha1:\(hash)")
                    #expect(try tarEntries(try #require(env.file(ready.status.artifact))) == ["a.yaml"])

                    let wrongPassword = "Wr0ng-pa55word-x"
                    try await env.createSecret(
                        "wrong", ["username": http.username, "password": wrongPassword, "ca.crt": http.caCertificate])
                    try await env.create("wrong", spec: try env.spec(url, secret: "wrong"))
                    let refused = try await env.waitNotReady("wrong")
                    let condition = try #require(refused.status.conditions.find(ConditionType.ready))
                    #expect(condition.reason == "AuthenticationFailed")
                    #expect(condition.message.hasPrefix("authentication failed for \(url): 401"))
                    #expect(refused.status.artifact == nil)
                    try await eventually("a warning event for 'wrong'", timeout: .seconds(10)) {
                        env.events.all.contains { $0.name == "wrong" && $0.type == .warning } ? true : nil
                    }
                    #expect(env.visibleMessages(refused).allSatisfy { !$0.contains(wrongPassword) })
                    #expect(env.visibleMessages(refused).allSatisfy { !$0.contains(http.password) })
                }
            }
        }
    }

    @Test("tls.crt/tls.key from a Secret reach an HTTPS server that requires client certificates; half a pair stalls")
    func clientCertificate() async throws {
        try await withTemporaryDirectory { tmp in
            let root = tmp.appendingPathComponent("srv")
            let repo = try GitTestRepository(root: root)
            let hash = try repo.commit("c", files: ["a.yaml": "a\n"])
            try await withGitHTTPServers(root: root) { http in
                try await withGitRepositoryController(tmp: tmp) { env in
                    let url = http.mutualTLSURL(repo.relativePath)
                    try await env.createSecret(
                        "mtls",
                        ["ca.crt": http.caCertificate, "tls.crt": http.clientCertificate, "tls.key": http.clientKey])
                    try await env.create("mtls", spec: try env.spec(url, secret: "mtls"))
                    let ready = try await env.waitReady("mtls", revision: "main@sha1:\(hash)")
                    #expect(try tarEntries(try #require(env.file(ready.status.artifact))) == ["a.yaml"])

                    try await env.createSecret("half", ["ca.crt": http.caCertificate, "tls.crt": http.clientCertificate])
                    try await env.create("half", spec: try env.spec(url, secret: "half"))
                    let stalled = try await env.wait("half", for: "Stalled=True") {
                        $0.status.conditions.isTrue(ConditionType.stalled)
                    }
                    let condition = try #require(stalled.status.conditions.find(ConditionType.ready))
                    #expect(condition.reason == "AuthenticationFailed")
                    #expect(condition.message == "invalid credentials: 'tls.crt' is set but 'tls.key' is missing; fix the referenced secret")
                    #expect(env.visibleMessages(stalled).allSatisfy { !$0.contains("BEGIN CERTIFICATE") })
                }
            }
        }
    }
}
