import ControllerRuntime
import Foundation
import GitSource
import KubeClient
import KubeCore
import Logging
import PetrelAPI

/// What a successful fetch produced.
struct FetchOutcome: Sendable {
    /// The artifact now in storage (new, or the unchanged previous one).
    var artifact: Artifact
    /// Whether a new archive was written.
    var isNew: Bool
    /// The first line of the commit message of a new checkout.
    var subject: String?
}

extension GitRepositoryReconciler {
    /// Resolves the ref on the remote and, unless it still points at the stored artifact, fetches it into a bare
    /// repository, packs the commit's tree straight from the object database (no checkout)
    /// and stores it, then garbage-collects older archives.
    ///
    /// Conditions are not touched here; ``status(after:for:storedArtifactExists:)`` folds the outcome in.
    /// - Throws: ``GitRepositoryFailure``.
    func fetchAndStore(_ object: GitRepository, logger: Logger) async throws(GitRepositoryFailure) -> FetchOutcome {
        let namespace = object.metadata.namespace ?? "default"
        let name = object.metadata.name ?? ""
        let redacted = (try? GitURL(parsing: object.spec.url).redacted) ?? "the remote"
        let storage = try artifactStore()
        let credentials = try await credentials(for: object, namespace: namespace)
        await warnIfInsecure(object, credentials: credentials, logger: logger)
        let recurseSubmodules = object.spec.recurseSubmodules ?? false
        let reusable = object.status.artifact.flatMap { artifact in
            object.status.observedIgnore == object.spec.ignore
                && (object.status.observedRecurseSubmodules ?? false) == recurseSubmodules
                && storage.exists(Self.stored(artifact)) ? artifact : nil
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-fetch-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let result: GitFetchResult
        do {
            // A bare fetch: the commit is archived from the object database, its files never written to disk.
            result = try await git.fetch(
                url: object.spec.url, reference: Self.reference(object.spec.ref), credentials: credentials,
                into: directory, timeout: .nanoseconds(object.spec.effectiveTimeout.nanoseconds),
                lastRevision: reusable?.revision, recurseSubmodules: recurseSubmodules)
        } catch let error as GitSourceError {
            throw .from(error, url: redacted, object: "\(namespace)/\(name)")
        } catch {
            throw .fetch(ConditionReason.gitOperationFailed, "failed to fetch \(redacted): \(error)")
        }
        switch result {
        case .unchanged:
            guard var artifact = reusable else {
                throw .fetch(ConditionReason.gitOperationFailed, "the remote reported no change without an artifact")
            }
            artifact.url = url(of: artifact.path)
            return FetchOutcome(artifact: artifact, isNew: false, subject: nil)
        case .fetched(let commit):
            let rules = IgnoreRules(specIgnore: object.spec.ignore)
            let stored: StoredArtifact
            // Archiving has the same deadline as the fetch, and stops when the reconcile is cancelled.
            let budget = ArchiveBudget(timeout: GitClient.bounded(object.spec.effectiveTimeout.duration))
            do {
                stored = try await withTaskCancellationHandler {
                    try await Self.offload {
                        try storage.store(
                            repository: directory, commit: commit.hash, kind: Self.storageKind, namespace: namespace,
                            name: name, revision: commit.revision, revisionHash: commit.hash, rules: rules,
                            recurseSubmodules: recurseSubmodules, limits: options.artifactLimits, budget: budget)
                    }
                } onCancel: {
                    budget.cancel()
                }
            } catch let error as GitSourceError {
                throw .from(error, url: redacted, object: "\(namespace)/\(name)")
            } catch {
                throw .storage(ConditionReason.archiveOperationFailed, "failed to archive \(commit.revision): \(error)")
            }
            do {
                let deleted = try storage.garbageCollect(
                    kind: Self.storageKind, namespace: namespace, name: name, current: stored,
                    keep: options.retainedArtifacts)
                if !deleted.isEmpty { logger.debug("garbage collected \(deleted.count) old artifacts") }
            } catch {
                // GC failing is not a reconcile failure (Flux records an event and goes on).
                logger.warning("artifact garbage collection failed: \(error)")
            }
            let artifact = Artifact(
                path: stored.path, url: url(of: stored.path), revision: stored.revision, digest: stored.digest,
                lastUpdateTime: Time(stored.lastUpdateTime), size: Int64(stored.size))
            return FetchOutcome(artifact: artifact, isNew: true, subject: commit.subject)
        }
    }

    /// Warns (a Warning event `InsecureCredentials` and a log line) when a password or token from `spec.secretRef`
    /// is about to go to a plain `http://` remote, where anyone on the path can read it. The fetch goes on, as in
    /// Flux; the fix is an `https://` URL.
    func warnIfInsecure(_ object: GitRepository, credentials: GitCredentials, logger: Logger) async {
        guard credentials.hasHTTPSecrets, let url = try? GitURL(parsing: object.spec.url), url.scheme == "http",
            let json = try? object.json()
        else { return }
        let message =
            "the credentials of secret '\(object.spec.secretRef?.name ?? "")' are sent unencrypted to \(url.redacted); "
            + "use an https:// URL"
        logger.warning("\(message)")
        await recorder.record(.warning, reason: "InsecureCredentials", message: message, about: json)
    }

    /// Flux's `spec.ref` as a ``GitSource/GitReference``.
    static func reference(_ ref: GitRepositoryRef?) -> GitReference {
        GitReference(branch: ref?.branch, tag: ref?.tag, semver: ref?.semver, name: ref?.name, commit: ref?.commit)
    }

    /// Reads `spec.secretRef` (same namespace) into credentials, using Flux's data keys. Values are never logged.
    ///
    /// The Secret is read with the controller's identity (GitRepositories, as Flux's sources, have none of their
    /// own), so its use is checked against the Secret's own consent first (``SecretURLBinding``).
    func credentials(for object: GitRepository, namespace: String) async throws(GitRepositoryFailure) -> GitCredentials {
        guard let secretName = object.spec.secretRef?.name, !secretName.isEmpty else { return GitCredentials() }
        let secret: JSONValue
        do {
            secret = try await client.get(Self.secrets, namespace: namespace, name: secretName)
        } catch {
            let detail = error.isNotFound ? "not found" : error.reason
            throw .fetch(
                ConditionReason.authenticationFailed,
                "failed to get secret '\(namespace)/\(secretName)': \(detail); create it or fix spec.secretRef")
        }
        try checkBinding(of: secret, named: "\(namespace)/\(secretName)", for: object)
        var data: [String: String] = [:]
        for (key, value) in secret["data"]?.objectValue ?? JSONObject() {
            guard let encoded = value.stringValue, let bytes = Data(base64Encoded: encoded),
                let text = String(data: bytes, encoding: .utf8)
            else {
                throw .fetch(
                    ConditionReason.authenticationFailed,
                    "secret '\(namespace)/\(secretName)' key '\(key)' is not base64-encoded UTF-8 text")
            }
            data[key] = text
        }
        for (key, value) in secret["stringData"]?.objectValue ?? JSONObject() {
            if let text = value.stringValue { data[key] = text }
        }
        return GitCredentials(secretData: data)
    }

    /// Refuses to use `secret` for `object` unless its ``SecretURLBinding`` allows `spec.url` (or it has none and
    /// ``GitRepositoryControllerOptions/requireSecretURLBinding`` is off). A bound Secret is also refused with
    /// `spec.recurseSubmodules`: submodule URLs come from the repository's `.gitmodules`, not from its binding.
    ///
    /// Failures: FetchFailed `AccessDenied`, retried at the interval (annotating the Secret fixes it).
    func checkBinding(of secret: JSONValue, named name: String, for object: GitRepository)
        throws(GitRepositoryFailure)
    {
        guard let binding = try SecretURLBinding(secret: secret) else {
            guard options.requireSecretURLBinding else { return }
            throw .fetch(
                ConditionReason.accessDenied,
                "secret '\(name)' is not bound to any URL: annotate it with \(SecretURLBinding.annotation) listing "
                    + "the URL prefixes it may be sent to (required by --require-secret-url-binding)")
        }
        let url: GitURL
        do { url = try GitURL(parsing: object.spec.url) } catch { throw .from(error, url: "spec.url") }
        guard binding.allows(url) else {
            throw .fetch(
                ConditionReason.accessDenied,
                "secret '\(name)' may not be sent to \(url.redacted): its \(SecretURLBinding.annotation) annotation "
                    + "allows only \(binding.description)")
        }
        if object.spec.recurseSubmodules == true {
            throw .fetch(
                ConditionReason.accessDenied,
                "secret '\(name)' is bound to \(binding.description) and cannot be used with spec.recurseSubmodules: "
                    + "submodule URLs come from .gitmodules; use a Secret without \(SecretURLBinding.annotation)")
        }
    }

    /// Runs blocking work (archiving thousands of files) on its own thread, off Swift's cooperative pool.
    static func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await BlockingWork.run(name: "petrel-archive", body)
    }
}
