import ControllerRuntime
import Foundation
import GitSource
import PetrelControllers
import Logging

/// Registers the controllers selected by `--controllers`, and the services they need, with `manager`.
///
/// This is the one place where Petrel's controllers are wired to the manager. Each controller gets the manager's
/// client, shared informers and event recorder, a logger labelled with its name, and its options from the flags.
///
/// - Parameters:
///   - manager: the manager to add controllers and services to (before it runs).
///   - options: the parsed flags.
/// - Throws: ``ManagerError`` when a flag needed by a selected controller is invalid.
package func registerControllers(manager: Manager, options: ManagerOptions) throws {
    for name in options.controllers.names {
        var logger = manager.logger
        logger[metadataKey: "petrel.controller"] = "\(name.rawValue)"
        switch name {
        case .gitrepository:
            removeStaleFiles(storagePath: options.storagePath, logger: logger)
            var gitOptions = GitRepositoryControllerOptions(
                storagePath: options.storagePath, artifactBaseURL: "http://\(options.storageAdvertisedAddress)")
            gitOptions.concurrency = options.concurrency
            gitOptions.requireSecretURLBinding = options.requireSecretURLBinding
            manager.add(
                GitRepositoryController.make(
                    client: manager.client, informers: manager.informers, recorder: manager.recorder,
                    options: gitOptions, logger: logger))
            guard let storage = ListenAddress(parsing: options.storageAddr) else {
                throw ManagerError.configuration("--storage-addr '\(options.storageAddr)' is not [host]:port")
            }
            // As source-controller: only the leader fetches, so only the leader serves artifacts.
            manager.addService(
                ArtifactServer(storagePath: options.storagePath, host: storage.host, port: storage.port, logger: logger),
                leaderOnly: true)
        case .kustomization:
            var kustomizeOptions = KustomizationControllerOptions()
            kustomizeOptions.concurrency = options.concurrency
            kustomizeOptions.requeueDependency = options.requeueDependency.duration
            kustomizeOptions.buildTimeout = options.buildTimeout.duration
            kustomizeOptions.noCrossNamespaceRefs = options.noCrossNamespaceRefs
            kustomizeOptions.noRemoteBases = true  // Petrel never fetches remote bases, whatever the flag says
            kustomizeOptions.defaultServiceAccount = options.defaultServiceAccount
            // Artifacts come from the artifact server only (status.artifact.url is not trusted to name any host).
            kustomizeOptions.artifactAddresses = ArtifactFetcher.address(of: "http://\(options.storageAdvertisedAddress)/")
                .map { [$0] }
            manager.add(
                KustomizationController.make(
                    client: manager.client, informers: manager.informers, recorder: manager.recorder,
                    options: kustomizeOptions, logger: logger))
        }
    }
}

/// Start-up sweep of what a crashed predecessor left in `$TMPDIR` and in the storage (``GitSource/StaleFiles``).
func removeStaleFiles(storagePath: String, logger: Logger) {
    var removed = StaleFiles.removeStale()
    if let store = try? ArtifactStore(root: URL(fileURLWithPath: storagePath)) {
        removed += store.removeStaleTemporaryFiles()
    }
    if !removed.isEmpty { logger.info("removed \(removed.count) stale temporary files and folders") }
}
