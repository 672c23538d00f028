import Foundation
import KubeCore
import PetrelAPI
import PetrelTesting
import Testing

/// Review finding S3 and issue 13, point 5, through the controller: a tenant's GitRepository pointing at a remote
/// that accepts the connection and then stalls (or trickles) must not hold up anyone else's.
@Suite("GitRepository controller: a stalled remote holds up no other GitRepository", .serialized)
struct GitRepositoryTarpitTests {
    @Test("HTTPS remotes that stall or trickle fail with their spec.timeout while an HTTPS GitRepository keeps fetching")
    func tarpit() async throws {
        try await withTemporaryDirectory { tmp in
            let root = tmp.appendingPathComponent("srv")
            let repo = try GitTestRepository(root: root)
            let first = try repo.commit("c1", files: ["a.yaml": "a: 1\n"])
            let pitCA = try makeTestCertificates(in: tmp)
            let pits = [Tarpit(mode: .stall, flavour: "http", tls: true), Tarpit(mode: .trickle, flavour: "http", tls: true)]
            try await withGitHTTPServers(root: root) { http in
                try await withTarpits(
                    pits, certificate: tmp.appendingPathComponent("server.crt"),
                    key: tmp.appendingPathComponent("server.key"), in: tmp
                ) { started in
                    try await withGitRepositoryController(tmp: tmp) { env in
                        let secrets = GroupVersionResource(group: "", version: "v1", resource: "secrets")
                        let bundle = Data((http.caCertificate + "\n" + pitCA).utf8).base64EncodedString()
                        _ = try await env.client.create(
                            secrets, namespace: env.namespace,
                            [
                                "apiVersion": "v1", "kind": "Secret",
                                "metadata": ["name": "ca", "namespace": .string(env.namespace)],
                                "data": ["ca.crt": .string(bundle)],
                            ])
                        let stallStart = ContinuousClock.now
                        for (index, pit) in started.enumerated() {
                            var spec = try gitSpec("https://localhost:\(pit.port)/repo.git")
                            spec.secretRef = LocalObjectReference(name: "ca")
                            spec.timeout = try GoDuration(parsing: "3s")
                            try await env.create("pit-\(index)", spec: spec)
                        }
                        var healthy = try gitSpec(http.httpsURL(repo.relativePath))
                        healthy.secretRef = LocalObjectReference(name: "ca")
                        try await env.create("healthy", spec: healthy)
                        try await env.waitReady("healthy", revision: "main@sha1:\(first)")
                        let firstReady = stallStart.duration(to: .now)
                        // A second commit while the pits may still hold their connections.
                        let second = try repo.commit("c2", files: ["a.yaml": "a: 2\n"])
                        let requested = ContinuousClock.now
                        try await env.requestReconcile("healthy", token: "second")
                        try await env.waitReady("healthy", revision: "main@sha1:\(second)")
                        let secondFetch = requested.duration(to: .now)
                        for index in started.indices {
                            let failed = try await env.wait("pit-\(index)", for: "Ready=False after the timeout") {
                                $0.status.conditions.isFalse(ConditionType.ready)
                            }
                            let message = failed.status.conditions.find(ConditionType.ready)?.message ?? ""
                            #expect(message.contains("did not finish within 3.0s"), "\(message)")
                            print("tarpit GitRepository pit-\(index) (\(started[index].mode)): Ready=False after \(stallStart.duration(to: .now)): \(message)")
                        }
                        print("healthy GitRepository during the stall: Ready after \(firstReady), next commit fetched in \(secondFetch)")
                    }
                }
            }
        }
    }
}
