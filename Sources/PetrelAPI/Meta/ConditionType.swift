/// Condition types Petrel sets, named as in Flux (`fluxcd/pkg/apis/meta`, source-controller and
/// kustomize-controller `api/v1`).
public enum ConditionType {
    /// The object reached its desired state (summary condition; `kubectl get` shows it).
    public static let ready = "Ready"
    /// A reconciliation is in progress (abnormal-true: present only while true).
    public static let reconciling = "Reconciling"
    /// Reconciliation stopped on an error that needs a human (abnormal-true).
    public static let stalled = "Stalled"
    /// Health checks of a Kustomization's objects passed.
    public static let healthy = "Healthy"
    /// Fetching the source failed (GitRepository; abnormal-true).
    public static let fetchFailed = "FetchFailed"
    /// An artifact for the current spec is in storage (GitRepository).
    public static let artifactInStorage = "ArtifactInStorage"
    /// The stored artifact is older than the source (GitRepository; abnormal-true).
    public static let artifactOutdated = "ArtifactOutdated"
    /// The source's signature was verified (GitRepository).
    public static let sourceVerified = "SourceVerified"
    /// Writing the artifact to storage failed (GitRepository; abnormal-true).
    public static let storageOperationFailed = "StorageOperationFailed"
    /// Building the artifact failed (GitRepository; abnormal-true).
    public static let buildFailed = "BuildFailed"
}

/// Condition reasons Petrel uses, named as in Flux.
public enum ConditionReason {
    /// Generic success (e.g. ArtifactInStorage=True, Healthy=True, GitRepository Ready=True).
    public static let succeeded = "Succeeded"
    /// Generic failure (e.g. SourceVerified=False).
    public static let failed = "Failed"
    /// Work is under way (Reconciling=True, Ready=Unknown).
    public static let progressing = "Progressing"
    /// Work is under way again after a failure.
    public static let progressingWithRetry = "ProgressingWithRetry"
    /// A Kustomization applied its revision (Ready=True).
    public static let reconciliationSucceeded = "ReconciliationSucceeded"
    /// Applying failed (Ready=False).
    public static let reconciliationFailed = "ReconciliationFailed"
    /// A `dependsOn` entry is not ready (Ready=False).
    public static let dependencyNotReady = "DependencyNotReady"
    /// The source or its artifact is missing or could not be downloaded (Ready=False).
    public static let artifactFailed = "ArtifactFailed"
    /// `kustomize build` or substitution failed (Ready=False).
    public static let buildFailed = "BuildFailed"
    /// A health check failed or timed out (Ready=False, Healthy=False).
    public static let healthCheckFailed = "HealthCheckFailed"
    /// Deleting stale objects failed (Ready=False).
    public static let pruneFailed = "PruneFailed"
    /// A cross-namespace reference was refused (Stalled=True).
    public static let accessDenied = "AccessDenied"
    /// The object cannot be decoded, e.g. a field outside the bounds of today's CRD (Stalled=True).
    public static let invalidObject = "InvalidObject"
    /// The object is suspended.
    public static let suspended = "Suspended"
    /// A Git clone, fetch or checkout failed (FetchFailed=True).
    public static let gitOperationFailed = "GitOperationFailed"
    /// A Git operation succeeded.
    public static let gitOperationSucceeded = "GitOperationSucceeded"
    /// Credentials were missing or refused (FetchFailed=True).
    public static let authenticationFailed = "AuthenticationFailed"
    /// The repository URL cannot be used (Stalled=True).
    public static let urlInvalid = "URLInvalid"
    /// The remote has no commits (FetchFailed=True).
    public static let emptyGitRepository = "EmptyGitRepository"
    /// A new revision is available (ArtifactOutdated=True).
    public static let newRevision = "NewRevision"
    /// Writing or archiving the artifact failed (StorageOperationFailed=True).
    public static let archiveOperationFailed = "ArchiveOperationFailed"
    /// A storage directory could not be created (StorageOperationFailed=True).
    public static let directoryCreationFailed = "DirectoryCreationFailed"
    /// A storage path escapes the storage root (StorageOperationFailed=True).
    public static let invalidPath = "InvalidPath"
    /// Updating the `latest` symlink failed (StorageOperationFailed=True).
    public static let symlinkUpdateFailed = "SymlinkUpdateFailed"
    /// A health check was abandoned for a newer revision.
    public static let healthCheckCanceled = "HealthCheckCanceled"
}
