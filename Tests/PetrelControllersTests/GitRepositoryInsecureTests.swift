import Foundation
import KubeCore
import PetrelAPI
import PetrelTesting
import Testing

/// Review finding S19: a warning when a Secret's credentials would go to a plain `http://` remote.
@Suite("GitRepository controller: credentials over plain http", .serialized)
struct GitRepositoryInsecureTests {
    @Test("a bearer token sent to an http:// remote raises an InsecureCredentials Warning event without the token")
    func insecure() async throws {
        try await withTemporaryDirectory { tmp in
            let root = tmp.appendingPathComponent("srv")
            let repo = try GitTestRepository(root: root)
            let hash = try repo.commit("c", files: ["a.yaml": "a\n"])
            try await withGitHTTPServers(root: root) { http in
                try await withGitRepositoryController(tmp: tmp) { env in
                    let secrets = GroupVersionResource(group: "", version: "v1", resource: "secrets")
                    _ = try await env.client.create(
                        secrets, namespace: env.namespace,
                        [
                            "apiVersion": "v1", "kind": "Secret",
                            "metadata": ["name": "token", "namespace": .string(env.namespace)],
                            "data": ["bearerToken": .string(Data(http.bearerToken.utf8).base64EncodedString())],
                        ])
                    var spec = try gitSpec(http.bearerURL(repo.relativePath))
                    spec.secretRef = LocalObjectReference(name: "token")
                    try await env.create("plain", spec: spec)
                    try await env.waitReady("plain", revision: "main@sha1:\(hash)")
                    let warning = try await eventually("InsecureCredentials event") {
                        env.events.all.first { $0.reason == "InsecureCredentials" && $0.name == "plain" }
                    }
                    #expect(warning.type == .warning)
                    #expect(warning.message.contains("sent unencrypted to http://127.0.0.1:\(http.bearerPort)/git/"))
                    #expect(!warning.message.contains(http.bearerToken))
                }
            }
        }
    }
}
