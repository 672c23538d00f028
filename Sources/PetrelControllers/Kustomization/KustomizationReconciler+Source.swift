import ControllerRuntime
import KubeClient
import KubeCore
import PetrelAPI

extension KustomizationReconciler {
    /// Finds the GitRepository named by `spec.sourceRef` in the informer cache and returns its artifact.
    ///
    /// Conditions: none directly; failures become Ready=False with
    /// - Stalled=True `AccessDenied` for a cross-namespace reference under `--no-cross-namespace-refs`;
    /// - `ArtifactFailed` when the source is missing (retry after the retry interval);
    /// - `ArtifactFailed` while the source has no artifact yet (waiting: requeue after `--requeue-dependency`).
    func resolveSource(of object: Kustomization) throws -> Artifact {
        let namespace = object.metadata.namespace ?? ""
        let sourceNamespace = object.spec.sourceRef.namespace ?? namespace
        let reference = "\(object.spec.sourceRef.kind.rawValue)/\(sourceNamespace)/\(object.spec.sourceRef.name)"
        if options.noCrossNamespaceRefs && sourceNamespace != namespace {
            throw StepInterruption.stalled(
                .accessDenied(
                    "cannot access \(reference): cross-namespace references are not allowed "
                        + "(--no-cross-namespace-refs)"))
        }
        guard let json = sources.get(ObjectKey(namespace: sourceNamespace, name: object.spec.sourceRef.name)) else {
            throw KustomizationError.artifactFailed("Source '\(reference)' not found")
        }
        let source: GitRepository
        do { source = try GitRepository(json: json) } catch {
            throw KustomizationError.artifactFailed("Source '\(reference)' cannot be read: \(error.message)")
        }
        guard let artifact = source.status.artifact else {
            throw StepInterruption.waiting(
                .artifactFailed("Source artifact not found, retrying in \(Self.format(options.requeueDependency))"),
                delay: options.requeueDependency)
        }
        return artifact
    }

    /// Checks every `dependsOn` entry: it must exist, be Ready for its current generation, and, when it uses the
    /// same source, have applied the revision this Kustomization is about to apply.
    ///
    /// Conditions: Ready=False `DependencyNotReady` (waiting: requeue after `--requeue-dependency`).
    func checkDependencies(of object: Kustomization, artifact: Artifact) async throws {
        let namespace = object.metadata.namespace ?? ""
        let mySource = ObjectKey(
            namespace: object.spec.sourceRef.namespace ?? namespace, name: object.spec.sourceRef.name)
        for dependency in object.spec.dependsOn ?? [] {
            let depNamespace = dependency.namespace ?? namespace
            let name = "\(depNamespace)/\(dependency.name)"
            if options.noCrossNamespaceRefs && depNamespace != namespace {
                throw StepInterruption.stalled(
                    .accessDenied(
                        "cannot depend on '\(name)': cross-namespace references are not allowed "
                            + "(--no-cross-namespace-refs)"))
            }
            // Read past the cache, as Flux does, so a dependency that just became ready is seen.
            guard let json = try await fetchKustomization(namespace: depNamespace, name: dependency.name) else {
                throw notReady("dependency '\(name)' not found")
            }
            let dep = try Kustomization(json: json)
            guard dep.isReady else { throw notReady("dependency '\(name)' is not ready") }
            let depSource = ObjectKey(
                namespace: dep.spec.sourceRef.namespace ?? depNamespace, name: dep.spec.sourceRef.name)
            if depSource == mySource && dep.status.lastAppliedRevision != artifact.revision {
                throw notReady("dependency '\(name)' revision is not up to date")
            }
        }
    }

    /// The Kustomization read from the API server, or nil when it does not exist.
    private func fetchKustomization(namespace: String, name: String) async throws -> JSONValue? {
        do {
            return try await client.get(Kustomization.groupVersionResource, namespace: namespace, name: name)
        } catch let error as KubeClientError where error.isNotFound {
            return nil
        }
    }

    private func notReady(_ detail: String) -> StepInterruption {
        .waiting(
            .dependencyNotReady("\(detail), retrying in \(Self.format(options.requeueDependency))"),
            delay: options.requeueDependency)
    }

    /// A duration as Go prints it, e.g. `30s`.
    static func format(_ duration: Duration) -> String { GoDuration.format(duration) }
}
