/// The desired state of a ``Kustomization`` (Flux's `KustomizationSpec`, without decryption, remote kubeConfig,
/// CEL health expressions, drift-ignore rules and build metadata, which Petrel does not implement).
public struct KustomizationSpec: Sendable, Hashable, Codable {
    /// The source whose artifact holds the manifests.
    public var sourceRef: CrossNamespaceSourceReference
    /// The directory inside the artifact to build; defaults to the root.
    public var path: String?
    /// How often to rebuild and re-apply, which also corrects drift.
    public var interval: GoDuration
    /// How soon to retry after a failure; defaults to ``interval``.
    public var retryInterval: GoDuration?
    /// The timeout for apply and health checks; defaults to `interval − 30s`, at least 30 s.
    public var timeout: GoDuration?
    /// Whether objects that left the source are deleted from the cluster.
    public var prune: Bool
    /// Whether to wait for every applied object to become ready (``healthChecks`` is then ignored).
    public var wait: Bool?
    /// Objects whose readiness gates the Ready condition.
    public var healthChecks: [NamespacedObjectKindReference]?
    /// Kustomizations that must be ready before this one is applied.
    public var dependsOn: [DependencyReference]?
    /// The namespace every namespaced object is put in.
    public var targetNamespace: String?
    /// A prefix added to every object's name.
    public var namePrefix: String?
    /// A suffix added to every object's name.
    public var nameSuffix: String?
    /// Strategic-merge or JSON 6902 patches applied after the build.
    public var patches: [Patch]?
    /// Image name, tag and digest overrides.
    public var images: [Image]?
    /// Kustomize components (paths relative to ``path``) added to the build.
    public var components: [String]?
    /// Labels and annotations set on every object, overriding existing keys.
    public var commonMetadata: CommonMetadata?
    /// Variable substitution after the build.
    public var postBuild: PostBuild?
    /// Whether to delete and recreate objects whose immutable fields changed (default false).
    public var force: Bool?
    /// Whether reconciliation is paused.
    public var suspend: Bool?
    /// The ServiceAccount, in this namespace, to impersonate when applying, pruning and checking health.
    public var serviceAccountName: String?
    /// What to delete when this Kustomization is deleted; defaults to ``DeletionPolicy/mirrorPrune``.
    public var deletionPolicy: DeletionPolicy?

    /// A spec with the required fields.
    public init(sourceRef: CrossNamespaceSourceReference, interval: GoDuration, prune: Bool, path: String? = nil) {
        self.sourceRef = sourceRef
        self.interval = interval
        self.prune = prune
        self.path = path
    }
}

/// What happens to applied objects when their ``Kustomization`` is deleted.
public enum DeletionPolicy: String, Sendable, Hashable, Codable, CaseIterable {
    /// Delete them if and only if `spec.prune` is true (the default).
    case mirrorPrune = "MirrorPrune"
    /// Always delete them.
    case delete = "Delete"
    /// Delete them and wait, up to the timeout, until they are gone.
    case waitForTermination = "WaitForTermination"
    /// Never delete them.
    case orphan = "Orphan"
}
