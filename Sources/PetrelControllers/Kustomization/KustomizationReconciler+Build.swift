import Foundation
import KubeClient
import KubeCore
import Kustomize
import PetrelAPI

/// Builds the manifests of a Kustomization's path with the spec's overrides (Flux's generated
/// `kustomization.yaml` around the path).
package struct ManifestBuilder: Sendable {
    /// A builder with the default kustomize limits.
    package init() {}

    /// Builds `spec.path` inside `root`.
    ///
    /// - Throws: ``KustomizationError/buildFailed(_:)`` naming the file and field; ``KustomizationError/artifactFailed(_:)``
    ///   when the path does not exist in the artifact.
    package func build(root: URL, spec: KustomizationSpec) throws(KustomizationError) -> [JSONValue] {
        let path = Self.normalisedPath(spec.path)
        guard !path.hasPrefix("/"), !path.split(separator: "/").contains("..") else {
            throw .artifactFailed("spec.path '\(spec.path ?? "")' must be a relative path inside the artifact")
        }
        var isDirectory: ObjCBool = false
        let full = path == "." ? root.path : root.appendingPathComponent(path).path
        guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .artifactFailed(
                "kustomization path not found: '\(spec.path ?? "./")' is not a folder in the artifact")
        }
        let overrides: KustomizationOverrides
        do {
            overrides = try KustomizationOverrides(fluxSpec: try JSONValueCoding.encode(spec))
        } catch let error as KustomizeError {
            throw .buildFailed("invalid spec: \(error.message)")
        } catch {
            throw .buildFailed("invalid spec: \(error)")
        }
        do {
            return try KustomizeBuilder().build(root: root, path: path, overrides: overrides)
        } catch {
            throw .buildFailed("kustomize build failed: \(error.message)")
        }
    }

    /// `spec.path` without leading `./` and trailing `/`; `.` for the root.
    static func normalisedPath(_ path: String?) -> String {
        var text = path ?? ""
        while text.hasPrefix("./") { text.removeFirst(2) }
        while text.hasSuffix("/") { text.removeLast() }
        return text.isEmpty || text == "." ? "." : text
    }
}

extension KustomizationReconciler {
    /// Builds the manifests and runs postBuild substitution; returns them with a redactor for the Secret values
    /// substituted into them, which every later message about them passes through.
    ///
    /// Conditions: Ready=False `BuildFailed` (or `ArtifactFailed` for a missing path) on failure.
    func build(_ object: Kustomization, root: URL) async throws -> (objects: [JSONValue], secrets: SecretRedactor) {
        let built = try builder.build(root: root, spec: object.spec)
        let namespace = object.metadata.namespace ?? ""
        let client = self.client
        let resolved = try await SubstitutionVariables.resolved(object.spec.postBuild) { kind, name in
            let resource =
                kind == .configMap
                ? GroupVersionResource(group: "", version: "v1", resource: "configmaps")
                : GroupVersionResource(group: "", version: "v1", resource: "secrets")
            do {
                return try await client.get(resource, namespace: namespace, name: name)
            } catch let error as KubeClientError where error.isNotFound {
                return nil
            }
        }
        do {
            return (try Substitution.apply(to: built, variables: resolved.variables), resolved.secrets)
        } catch {
            throw resolved.secrets.redact(error)
        }
    }
}
