/// A reference to a source, possibly in another namespace (Flux's `CrossNamespaceSourceReference`).
public struct CrossNamespaceSourceReference: Sendable, Hashable, Codable {
    /// The source's `apiVersion`; defaults to `source.petrel.dev/v1`.
    public var apiVersion: String?
    /// The source kind.
    public var kind: SourceKind
    /// The source's name.
    public var name: String
    /// The source's namespace; defaults to the Kustomization's.
    public var namespace: String?

    /// A reference to the source named by the arguments.
    public init(kind: SourceKind = .gitRepository, name: String, namespace: String? = nil, apiVersion: String? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.namespace = namespace
    }
}

/// The source kinds a Kustomization can reference. Flux also accepts `OCIRepository`, `Bucket` and
/// `ExternalArtifact`; Petrel implements only Git, so the CRD refuses the others at admission.
public enum SourceKind: String, Sendable, Hashable, Codable, CaseIterable {
    case gitRepository = "GitRepository"
}

/// A Kustomization this one depends on (Flux's `DependencyReference`, without `readyExpr`).
public struct DependencyReference: Sendable, Hashable, Codable {
    /// The dependency's name.
    public var name: String
    /// The dependency's namespace; defaults to the dependent's.
    public var namespace: String?

    /// A reference to the Kustomization named by the arguments.
    public init(name: String, namespace: String? = nil) {
        self.name = name
        self.namespace = namespace
    }
}

/// An object to health-check (Flux's `meta.NamespacedObjectKindReference`).
public struct NamespacedObjectKindReference: Sendable, Hashable, Codable {
    /// The object's `apiVersion`; when empty, the first version of the kind the server knows.
    public var apiVersion: String?
    /// The object's kind.
    public var kind: String
    /// The object's name.
    public var name: String
    /// The object's namespace; defaults to the Kustomization's.
    public var namespace: String?

    /// A reference to the object named by the arguments.
    public init(apiVersion: String? = nil, kind: String, name: String, namespace: String? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.namespace = namespace
    }
}
