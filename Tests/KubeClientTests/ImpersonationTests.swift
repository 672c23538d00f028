import Foundation
import KubeClient
import KubeCore
import Logging
import Testing

@Suite("Impersonation headers")
struct ImpersonationTests {
    let configmaps = GroupVersionResource(group: "", version: "v1", resource: "configmaps")

    @Test("An impersonating view sends Impersonate-User and Impersonate-Group; its parent and views without stay plain")
    func headers() async throws {
        try await FakeAPIServer.with { server in
            let client = try server.client()
            do {
                let deployer = client.impersonating(.serviceAccount(namespace: "team-a", name: "deployer"))
                #expect(deployer.impersonation?.user == "system:serviceaccount:team-a:deployer")
                _ = try await deployer.get(configmaps, namespace: "ns", name: "one")
                let withGroups = client.impersonating(ImpersonationConfig(user: "jane", groups: ["devs", "ops"]))
                _ = try await withGroups.get(configmaps, namespace: "ns", name: "one")
                _ = try await client.get(configmaps, namespace: "ns", name: "one")
                _ = try await withGroups.withoutImpersonation.get(configmaps, namespace: "ns", name: "one")
                // A view's shutdown closes nothing: the parent keeps working.
                try await deployer.shutdown()
                _ = try await client.get(configmaps, namespace: "ns", name: "one")

                let requests = try await server.requests(using: client).filter { $0["path"]?.hasSuffix("/one") == true }
                #expect(requests.map { $0["impersonateUser"] ?? "?" } == [
                    "system:serviceaccount:team-a:deployer", "jane", "", "", "",
                ])
                #expect(requests.map { $0["impersonateGroups"] ?? "?" } == ["", "devs,ops", "", "", ""])
                #expect(requests.allSatisfy { $0["authorization"] == "Bearer s3cr3t-token" })
            } catch {
                try? await client.shutdown()
                throw error
            }
            try await client.shutdown()
        }
    }

    @Test("kubeconfig as and as-groups become the client's impersonation")
    func kubeconfig() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/config"
        try """
        apiVersion: v1
        kind: Config
        current-context: tenant
        clusters:
        - name: c
          cluster: {server: "http://127.0.0.1:1"}
        users:
        - name: admin
          user:
            token: t
            as: system:serviceaccount:team-a:deployer
            as-groups: [devs, ops]
        - name: plain
          user: {token: t}
        contexts:
        - name: tenant
          context: {cluster: c, user: admin}
        - name: plain
          context: {cluster: c, user: plain}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let tenant = try KubeConfig.load(environment: ["KUBECONFIG": path])
        #expect(tenant.impersonation == ImpersonationConfig(user: "system:serviceaccount:team-a:deployer", groups: ["devs", "ops"]))
        let plain = try KubeConfig.load(context: "plain", environment: ["KUBECONFIG": path])
        #expect(plain.impersonation == nil)
        let client = try KubeClient(config: tenant, logger: .init(label: "test"))
        #expect(client.impersonation == tenant.impersonation)
        #expect(client.withoutImpersonation.impersonation == nil)
        try await client.shutdown()
    }
}
