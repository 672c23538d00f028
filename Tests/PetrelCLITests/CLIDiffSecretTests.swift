import Foundation
import KubeClient
import KubeCore
import Testing

/// S16 of the security review: `petrel diff` shows no Secret value, not even in the copy kubectl's client-side
/// apply keeps in `kubectl.kubernetes.io/last-applied-configuration`.
@Suite(
    "petrel diff masks every copy of a Secret's data", .serialized,
    .enabled(if: haveBinaries, "needs /usr/bin/kubectl and the built petrel binary"))
struct CLIDiffSecretTests {
    @Test("a Secret created with kubectl apply drifts: its data and its last-applied annotation are masked")
    func lastAppliedMasked() async throws {
        let workspace = try CLIBuildDiffTests.Workspace()
        defer { workspace.cleanUp() }
        let old = "OldS3cretValue16"
        let new = "NewS3cretValue16"
        let secret = { (value: String, labels: String) in
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: token\n  namespace: shop\n\(labels)stringData:\n  key: \(value)\n"
        }
        try workspace.write("live.yaml", secret(old, ""))
        try workspace.write("app/kustomization.yaml", "resources:\n- token.yaml\n")
        try workspace.write("app/token.yaml", secret(new, "  labels:\n    tier: web\n"))
        try await CLICluster.with { cluster in
            try await cluster.kubectlOK(["create", "namespace", "shop"])
            // Client-side apply: the annotation holds the whole manifest, stringData included.
            try await cluster.kubectlOK(["apply", "-f", workspace.root.appendingPathComponent("live.yaml").path])
            let live = try await cluster.client.get(
                GroupVersionResource(group: "", version: "v1", resource: "secrets"), namespace: "shop", name: "token")
            let annotation = live[path: ["metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration"]]
            try #require(annotation?.stringValue?.contains(old) == true, "kubectl wrote the annotation: \(live)")
            _ = try await cluster.client.apply(
                CLIBuildDiffTests.kustomization("shop", ["targetNamespace": "shop"]), fieldManager: "tests", force: true
            )

            let diff = try await cluster.petrel(["diff", "ks", "shop", "--path", workspace.app.path])
            #expect(diff.status == 1, "stderr: \(diff.stderr)")
            let out = diff.stdout + diff.stderr
            #expect(out.contains("► Secret/shop/token drifted"), "\(out)")
            #expect(out.contains("+    tier: web"), "the label change is shown: \(out)")
            #expect(out.contains("last-applied-configuration"), "the annotation is in the context: \(out)")
            for value in [old, new] {
                #expect(!out.contains(value), "\(out)")
                #expect(!out.contains(Data(value.utf8).base64EncodedString()), "\(out)")
            }
        }
    }
}
