import Foundation
import KubeCore
import Testing

/// The chart's side of issue 13 for sources and artifacts: bounded volumes (S5, point 6), a NetworkPolicy in front
/// of the artifact server (S11), and artifacts that keep working with more than one replica (S12).
@Suite("Helm chart: source-side security", .enabled(if: Helm.available, Helm.skipReason))
struct ChartSourceSecurityTests {
    @Test("/data and /tmp have size limits matching the controller's caps, and the pod asks for ephemeral storage")
    func boundedVolumes() async throws {
        let (objects, _) = try await Helm.render()
        let deployment = try #require(objects.object(kind: "Deployment", name: "petrel"))
        let pod = try #require(deployment[path: ["spec", "template", "spec"]])
        let volumes = pod["volumes"]?.arrayValue ?? []
        func sizeLimit(_ name: String) -> String? {
            volumes.first { $0["name"]?.stringValue == name }?[path: ["emptyDir", "sizeLimit"]]?.stringValue
        }
        #expect(sizeLimit("data") == "2Gi")
        #expect(sizeLimit("tmp") == "4Gi")
        let container = try #require(pod["containers"]?.arrayValue?.first)
        #expect(container[path: ["resources", "requests", "ephemeral-storage"]]?.stringValue == "512Mi")
        #expect(container[path: ["resources", "limits", "ephemeral-storage"]]?.stringValue == "7Gi")

        let (custom, _) = try await Helm.render(["storage": ["sizeLimit": "5Gi", "tmpSizeLimit": "1Gi"]])
        let volumesCustom =
            custom.object(kind: "Deployment", name: "petrel")?[path: ["spec", "template", "spec", "volumes"]]?
            .arrayValue ?? []
        #expect(volumesCustom.compactMap { $0[path: ["emptyDir", "sizeLimit"]]?.stringValue } == ["5Gi", "1Gi"])
    }

    @Test("a NetworkPolicy lets only the controller's pods and the listed namespaces reach the artifact port")
    func networkPolicy() async throws {
        let (objects, _) = try await Helm.render(["networkPolicy": ["artifactNamespaces": ["ci", "notify"]]])
        let deployment = try #require(objects.object(kind: "Deployment", name: "petrel"))
        let policy = try #require(objects.object(kind: "NetworkPolicy", name: "petrel-artifacts"))
        let podLabels = deployment[path: ["spec", "selector", "matchLabels"]]
        #expect(policy[path: ["spec", "podSelector", "matchLabels"]] == podLabels)
        #expect(policy[path: ["spec", "policyTypes"]] == ["Ingress"])
        let rules = policy[path: ["spec", "ingress"]]?.arrayValue ?? []
        #expect(rules.count == 2)
        let artifacts = try #require(rules.first)
        #expect(artifacts["ports"] == [["port": "http", "protocol": "TCP"]])
        let from = artifacts["from"]?.arrayValue ?? []
        #expect(from.first?[path: ["podSelector", "matchLabels"]] == podLabels)
        #expect(
            from.dropFirst().compactMap { $0[path: ["namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"]]?.stringValue }
                == ["ci", "notify"])
        #expect(rules.last?["from"] == nil, "metrics and health stay reachable")
        #expect(rules.last?["ports"]?.arrayValue?.compactMap { $0["port"]?.stringValue } == ["http-metrics", "healthz"])

        let (defaults, _) = try await Helm.render()
        let only = try #require(defaults.object(kind: "NetworkPolicy", name: "petrel-artifacts"))
        #expect(only[path: ["spec", "ingress"]]?.arrayValue?.first?["from"]?.arrayValue?.count == 1)
        let (off, _) = try await Helm.render(["networkPolicy": ["enabled": false]])
        #expect(off.object(kind: "NetworkPolicy", name: "petrel-artifacts") == nil)
        let refused = try await Helm.call("render", values: ["networkPolicy": ["artifactNamespaces": ["Not A Namespace"]]])
        #expect(refused["error"] != nil, "the schema refuses a namespace name that cannot exist")
    }

    @Test("with replicas: 2 the artifact Service selects the pod the leader labels, and the chart lets it label itself")
    func replicas() async throws {
        let (objects, _) = try await Helm.render(["replicas": 2])
        let deployment = try #require(objects.object(kind: "Deployment", name: "petrel"))
        #expect(deployment.managerArgs.contains("--leader-pod-label"))
        let artifacts = try #require(objects.object(kind: "Service", name: "petrel-artifacts"))
        var expected = deployment[path: ["spec", "selector", "matchLabels"]]?.objectValue ?? JSONObject()
        expected["petrel.dev/leader"] = "true"
        #expect(artifacts[path: ["spec", "selector"]] == .object(expected))
        let metrics = try #require(objects.object(kind: "Service", name: "petrel-metrics"))
        #expect(metrics[path: ["spec", "selector", "petrel.dev/leader"]] == nil, "metrics reach every replica")
        let role = try #require(objects.object(kind: "Role", name: "petrel-leader-label"))
        #expect(role["rules"] == [["apiGroups": [""], "resources": ["pods"], "verbs": ["get", "patch"]]])
        let binding = try #require(objects.object(kind: "RoleBinding", name: "petrel-leader-label"))
        #expect(binding[path: ["subjects"]]?.arrayValue?.first?["name"]?.stringValue == "petrel")

        let (single, _) = try await Helm.render()
        #expect(single.object(kind: "Role", name: "petrel-leader-label") == nil)
        #expect(!(single.object(kind: "Deployment", name: "petrel")?.managerArgs.contains("--leader-pod-label") ?? true))
    }
}
