import ControllerRuntime
import GitSource
import KubeClient
import Logging
import PetrelAPI

/// Settings of the GitRepository controller (source-controller's flags that matter to it).
package struct GitRepositoryControllerOptions: Sendable {
    /// How many GitRepositories are reconciled in parallel (`--concurrency`). Default 2, as source-controller's
    /// `--concurrent`; more workers fetch faster but run more libgit2 threads at once.
    package var concurrency: Int = 2
    /// The folder artifacts are written to and served from (`--storage-path`).
    package var storagePath: String
    /// The base of every artifact URL, e.g. `http://127.0.0.1:9090` (from `--storage-adv-addr`); an artifact's
    /// `url` is this plus `/` plus its relative path. A trailing `/` is ignored.
    package var artifactBaseURL: String
    /// How many archives each GitRepository keeps in storage, the current one included (Flux's
    /// `--artifact-retention-records`). Default 2: the current and the previous revision.
    package var retainedArtifacts: Int = 2
    /// Use a `spec.secretRef` Secret only when its `source.petrel.dev/allowed-urls` annotation lists a prefix of
    /// `spec.url` (`--require-secret-url-binding`, on in the chart's tenant mode). Default false: a Secret without
    /// the annotation may be sent to any URL a GitRepository of its namespace names; a Secret with it is always
    /// held to it (see ``SecretURLBinding``).
    package var requireSecretURLBinding = false
    /// The shortest delay between two timer-driven reconciles of one GitRepository: a `spec.interval` below it
    /// (e.g. `0s`) counts as this, so no object can list its remote in a loop. Events (a spec change, `requestedAt`)
    /// are not delayed; failures back off as usual. Default 10 s.
    package var minimumInterval: Duration = .seconds(10)
    /// Bounds on each artifact: files and directories, bytes, nesting depth and path length (defaults: 100,000
    /// entries, 1 GiB, 256 levels, 4,096 bytes; the Kustomization controller extracts with the same defaults).
    package var artifactLimits = ExtractionLimits()

    /// Options with the required paths and the defaults for the rest.
    package init(storagePath: String, artifactBaseURL: String, concurrency: Int = 2) {
        self.storagePath = storagePath
        self.artifactBaseURL = artifactBaseURL
        self.concurrency = concurrency
    }
}

/// Builds the GitRepository controller: an informer over `gitrepositories.source.petrel.dev/v1` feeding a
/// ``GitRepositoryReconciler``.
package enum GitRepositoryController {
    /// The controller's name in logs and metrics.
    package static let name = "gitrepository"

    /// Creates the controller; the caller runs it (``ControllerRuntime/Controller/run()``) next to
    /// `informers.run()`.
    ///
    /// - Parameters:
    ///   - client: for Secrets, finalizer patches and status writes.
    ///   - informers: the shared informer factory; the GitRepository informer is requested here.
    ///   - recorder: where `NewArtifact` and failure events go.
    ///   - options: storage path, artifact base URL and concurrency.
    ///   - logger: the controller's logger.
    package static func make(
        client: KubeClient, informers: InformerFactory, recorder: any EventRecording,
        options: GitRepositoryControllerOptions, logger: Logger
    ) -> Controller {
        let informer = informers.informer(for: GitRepository.groupVersionResource)
        var controllerLogger = logger
        controllerLogger[metadataKey: "petrel.controller"] = "\(name)"
        let reconciler = GitRepositoryReconciler(
            client: client, store: informer.store, recorder: recorder, options: options, logger: controllerLogger)
        // A GitRepository that leaves the informer without a finalizing reconcile (finalizer removed by hand, out
        // of the label selector, missing from a relist) must not leave its artifacts or cached copy behind.
        informer.addHandler { change in
            guard case .deleted(let key, _) = change else { return }
            reconciler.purge(key)
        }
        return Controller(
            name: name, informer: informer, reconciler: reconciler, concurrency: options.concurrency,
            logger: controllerLogger)
    }
}
