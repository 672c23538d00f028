import ControllerRuntime
import KubeClient
import KubeCore
import Logging
import PetrelAPI

/// Options of the Kustomization controller (the `petrel-controller` flags of the same names).
package struct KustomizationControllerOptions: Sendable {
    /// Parallel reconciles (`--concurrency`). Default 4.
    package var concurrency: Int = 4
    /// How long to wait before re-checking a dependency or a source without artifact (`--requeue-dependency`).
    /// Default 30 s; lower means faster convergence and more API reads.
    package var requeueDependency: Duration = .seconds(30)
    /// Refuse `sourceRef` and `dependsOn` entries in another namespace (`--no-cross-namespace-refs`). Default false.
    package var noCrossNamespaceRefs = false
    /// Refuse remote kustomize bases (`--no-remote-bases`). Default true: Petrel's builder never fetches remotely.
    package var noRemoteBases = true
    /// The ServiceAccount (of the Kustomization's namespace) to impersonate when a Kustomization names none in
    /// `spec.serviceAccountName` (`--default-service-account`, multi-tenancy lockdown). Default nil: such
    /// Kustomizations apply with the controller's own identity.
    package var defaultServiceAccount: String? = nil
    /// How long an object verified by a dry-run or apply may skip its dry-run at later drift checks while neither
    /// its manifest nor its live `resourceVersion` changes (see ``VerifiedObjectsMemo``). After that it is dry-run
    /// again, so a change of the server's rules for untouched objects (a new mutating webhook or admission policy)
    /// is noticed within this time. Default 1 hour; nil: until the object changes or the controller restarts.
    package var verifiedObjectMaxAge: Duration? = .seconds(3600)
    /// The shortest delay between two timer-driven reconciles of one Kustomization: `spec.interval` and
    /// `spec.retryInterval` below it (e.g. `0s`) count as this, so no object can run its build, dry-run and apply in
    /// a loop and starve the others of the client's rate limit. Events (a new artifact, a spec change,
    /// `requestedAt`) are not delayed. Default 10 s.
    package var minimumInterval: Duration = .seconds(10)
    /// The longest one Kustomization's build (kustomize build, substitution) may take (`--build-timeout`). Default
    /// 30 s: a build of 1,000 objects takes a fraction of a second. Past it the build fails with `BuildFailed`
    /// naming the Kustomization and the limit, and its worker moves on.
    package var buildTimeout: Duration = .seconds(30)
    /// The `host:port`s artifacts may be downloaded from (the artifact server's advertised address,
    /// `--storage-adv-addr`). Default nil: any host, over http or https only.
    package var artifactAddresses: Set<String>? = nil

    /// Options with every default.
    package init() {}
}

/// Builds the Kustomization controller: its informers, the index from sources to Kustomizations, and the
/// reconciler.
package enum KustomizationController {
    /// The store index filing each Kustomization under its source, `<namespace>/<name>` of the GitRepository.
    package static let sourceIndex = "kustomization.sourceRef"
    /// The store index filing each Kustomization under every `<namespace>/<name>` it depends on.
    package static let dependencyIndex = "kustomization.dependsOn"

    /// Creates the controller; the manager runs `informers` and the returned controller.
    ///
    /// A GitRepository whose artifact revision changes (or that appears or disappears) requeues every
    /// Kustomization using it at once, through ``sourceIndex``. A Kustomization whose readiness or applied revision
    /// changes requeues its dependents through ``dependencyIndex``, so an ordered chain converges without waiting
    /// for `--requeue-dependency` at each step (Flux only polls).
    ///
    /// `memo` and `verifiedObjects` are the reconciler's memos (new ones by default; tests pass their own to watch
    /// them). Their entry for a Kustomization goes as soon as it leaves the informer (S23).
    package static func make(
        client: KubeClient, informers: InformerFactory, recorder: any EventRecording,
        options: KustomizationControllerOptions, logger: Logger,
        memo: AppliedSetMemo = AppliedSetMemo(), verifiedObjects: VerifiedObjectsMemo = VerifiedObjectsMemo()
    ) -> Controller {
        let kustomizations = informers.informer(
            for: Kustomization.groupVersionResource,
            indexes: [sourceIndex: { sourceIndexValues($0) }, dependencyIndex: { dependencyIndexValues($0) }])
        let sources = informers.informer(for: GitRepository.groupVersionResource)
        let reconciler = KustomizationReconciler(
            client: client, kustomizations: kustomizations.store, sources: sources.store, recorder: recorder,
            options: options, logger: logger, memo: memo, verifiedObjects: verifiedObjects)
        // A Kustomization that leaves the informer without a finalizing reconcile (finalizer removed by hand,
        // out of the label selector, missing from a relist) must not leave its memo entries behind.
        kustomizations.addHandler { change in
            guard case .deleted(_, let old) = change, let uid = old[path: ["metadata", "uid"]]?.stringValue else {
                return
            }
            memo.forget(uid: uid)
            verifiedObjects.forget(uid: uid)
        }
        let controller = Controller(
            name: "kustomization", informer: kustomizations, reconciler: reconciler,
            concurrency: options.concurrency, secondary: [sources], logger: logger)
        let store = kustomizations.store
        controller.watch(sources) { change in
            guard sourceRevisionChanged(change) else { return [] }
            return store.keys(index: sourceIndex, value: change.key.description)
        }
        controller.watch(kustomizations) { change in
            guard readinessChanged(change) else { return [] }
            return store.keys(index: dependencyIndex, value: change.key.description)
        }
        return controller
    }

    /// `<namespace>/<name>` of every Kustomization an object depends on.
    static func dependencyIndexValues(_ object: JSONValue) -> [String] {
        let namespace = object[path: ["metadata", "namespace"]]?.stringValue ?? ""
        return (object[path: ["spec", "dependsOn"]]?.arrayValue ?? []).compactMap { entry in
            guard let name = entry["name"]?.stringValue else { return nil }
            return ObjectKey(namespace: entry["namespace"]?.stringValue ?? namespace, name: name).description
        }
    }

    /// Whether a Kustomization's Ready status, applied revision or observed generation changed (what its
    /// dependents check).
    static func readinessChanged(_ change: StoreChange) -> Bool {
        guard case .applied(_, let old?, let new) = change else { return false }
        func ready(_ object: JSONValue) -> JSONValue? {
            object[path: ["status", "conditions"]]?.arrayValue?.first { $0["type"] == "Ready" }?["status"]
        }
        let paths = [["status", "lastAppliedRevision"], ["status", "observedGeneration"]]
        return ready(old) != ready(new) || paths.contains { old[path: $0] != new[path: $0] }
    }

    /// `<namespace>/<name>` of the source a Kustomization object references.
    static func sourceIndexValues(_ object: JSONValue) -> [String] {
        guard let name = object[path: ["spec", "sourceRef", "name"]]?.stringValue else { return [] }
        let namespace =
            object[path: ["spec", "sourceRef", "namespace"]]?.stringValue
            ?? object[path: ["metadata", "namespace"]]?.stringValue ?? ""
        return [ObjectKey(namespace: namespace, name: name).description]
    }

    /// Whether a source change matters to its Kustomizations: a new or removed object, or a new artifact
    /// revision or digest (Flux's `SourceRevisionChangePredicate`).
    static func sourceRevisionChanged(_ change: StoreChange) -> Bool {
        switch change {
        case .deleted:
            return true
        case .applied(_, let old, let new):
            guard let old else { return true }
            let paths = [["status", "artifact", "revision"], ["status", "artifact", "digest"]]
            return paths.contains { old[path: $0] != new[path: $0] }
        }
    }
}
