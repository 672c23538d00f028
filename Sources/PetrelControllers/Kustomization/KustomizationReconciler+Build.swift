import Foundation
import KubeClient
import KubeCore
import Kustomize
import PetrelAPI

/// Builds the manifests of a Kustomization's path with the spec's overrides (Flux's generated
/// `kustomization.yaml` around the path).
package struct ManifestBuilder: Sendable {
    /// The kustomize limits (per file and per build); the controller sets `timeLimit` from `--build-timeout`.
    package var options: KustomizeOptions

    /// A builder with the given kustomize limits (default: Kustomize's).
    package init(options: KustomizeOptions = KustomizeOptions()) {
        self.options = options
    }

    /// Builds `spec.path` inside `root`.
    ///
    /// - Parameter name: The Kustomization (`namespace/name`), named in the message of a build stopped by one of
    ///   its budgets (time, resources, nodes, bytes).
    /// - Throws: ``KustomizationError/buildFailed(_:)`` naming the file and field; ``KustomizationError/artifactFailed(_:)``
    ///   when the path does not exist in the artifact.
    package func build(root: URL, spec: KustomizationSpec, name: String? = nil) throws(KustomizationError)
        -> [JSONValue]
    {
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
            // Flux's kustomize-controller builds with LoadRestrictionsNone: files anywhere in the artifact.
            var options = self.options
            options.loadRestrictor = .none
            return try KustomizeBuilder(options).build(root: root, path: path, overrides: overrides)
        } catch {
            if let name, error.reason == "BuildTimedOut" || error.reason == "BuildTooLarge" {
                let flag = error.reason == "BuildTimedOut" ? " (--build-timeout)" : ""
                throw .buildFailed("kustomize build of Kustomization \(name) stopped\(flag): \(error.message)")
            }
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
    /// Builds the manifests and runs postBuild substitution, off the cooperative pool and within
    /// ``KustomizationControllerOptions/buildTimeout`` (the API reads for substitution variables included); returns
    /// them with a redactor for the Secret values substituted into them, which every later message about them passes
    /// through.
    ///
    /// The ConfigMaps and Secrets of `postBuild.substituteFrom` are read as the Kustomization's ServiceAccount when
    /// one applies (``acting(for:)``), like everything else read on its author's behalf: a tenant can substitute
    /// only what its ServiceAccount may `get`, and a refusal fails the build naming the object.
    ///
    /// Conditions: Ready=False `BuildFailed` (or `ArtifactFailed` for a missing path) on failure; a build past its
    /// time limit fails with a message naming the Kustomization and the limit, and frees its worker.
    func build(_ object: Kustomization, root: URL) async throws -> (objects: [JSONValue], secrets: SecretRedactor) {
        let limit = options.buildTimeout
        let clock = ContinuousClock()
        let start = clock.now
        var limited = self.builder
        limited.options.timeLimit = limit
        let builder = limited
        let spec = object.spec
        let name = "\(object.metadata.namespace ?? "")/\(object.metadata.name ?? "")"
        let built = try await offload(name, remaining: limit) { try builder.build(root: root, spec: spec, name: name) }
        let namespace = object.metadata.namespace ?? ""
        let client = acting(for: object).client
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
        let remaining = limit - start.duration(to: clock.now)
        let variables = resolved.variables
        do {
            let objects = try await offload(name, remaining: remaining) {
                try Substitution.apply(to: built, variables: variables)
            }
            return (objects, resolved.secrets)
        } catch let error as KustomizationError {
            throw resolved.secrets.redact(error)
        }
    }

    /// Runs one step of the build on its own thread. The build checks its time limit itself and reports where it
    /// stopped; the wait here ends a little later in any case (a step that cannot check, such as composing one large
    /// YAML file, may overrun), so the worker is free soon after the limit.
    private func offload<T: Sendable>(
        _ name: String, remaining: Duration, _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        let limit = options.buildTimeout
        guard remaining > .zero else { throw KustomizationError.buildFailed(Self.timeLimitMessage(name, limit)) }
        do {
            return try await BlockingWork.run(name: "petrel-build", limit: remaining + .seconds(5), body)
        } catch is BlockingWork.TimedOut {
            throw KustomizationError.buildFailed(Self.timeLimitMessage(name, limit))
        }
    }

    static func timeLimitMessage(_ name: String, _ limit: Duration) -> String {
        "kustomize build of Kustomization \(name) stopped: it ran longer than the \(limit) limit (--build-timeout); "
            + "split the kustomization or look for a base included from many places"
    }
}
