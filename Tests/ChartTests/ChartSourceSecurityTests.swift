import Foundation
import KubeCore
import Testing

/// The chart's side of issue 13 for sources and artifacts: bounded volumes (S5, point 6).
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
}
