/// A patch applied to the objects a ``Selector`` matches (Flux's `kustomize.Patch`).
public struct Patch: Sendable, Hashable, Codable {
    /// A strategic-merge patch or a JSON 6902 operation list, as YAML or JSON text.
    public var patch: String
    /// Which objects to patch; a strategic-merge patch without a target names its object itself.
    public var target: Selector?

    /// A patch of the given text and target.
    public init(patch: String, target: Selector? = nil) {
        self.patch = patch
        self.target = target
    }
}

/// Selects objects by group, version, kind, name, namespace, labels and annotations (Flux's `kustomize.Selector`).
///
/// `name` and `namespace` are regular expressions, as in kustomize.
public struct Selector: Sendable, Hashable, Codable {
    public var group: String?
    public var version: String?
    public var kind: String?
    public var name: String?
    public var namespace: String?
    /// A label selector, e.g. `app=web,tier!=cache`.
    public var labelSelector: String?
    /// An annotation selector in label-selector syntax.
    public var annotationSelector: String?

    /// A selector with the given fields.
    public init(
        group: String? = nil, version: String? = nil, kind: String? = nil, name: String? = nil,
        namespace: String? = nil, labelSelector: String? = nil, annotationSelector: String? = nil
    ) {
        self.group = group
        self.version = version
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.labelSelector = labelSelector
        self.annotationSelector = annotationSelector
    }
}

/// An image override (Flux's `kustomize.Image`); `digest` wins over `newTag`.
public struct Image: Sendable, Hashable, Codable {
    /// The image name to match, without tag or digest.
    public var name: String
    /// The replacement name.
    public var newName: String?
    /// The replacement tag.
    public var newTag: String?
    /// The replacement digest, e.g. `sha256:…`.
    public var digest: String?

    /// An override of `name`.
    public init(name: String, newName: String? = nil, newTag: String? = nil, digest: String? = nil) {
        self.name = name
        self.newName = newName
        self.newTag = newTag
        self.digest = digest
    }
}

/// Labels and annotations set on every built object (Flux's `CommonMetadata`).
public struct CommonMetadata: Sendable, Hashable, Codable {
    public var labels: [String: String]?
    public var annotations: [String: String]?

    /// Metadata with the given labels and annotations.
    public init(labels: [String: String]? = nil, annotations: [String: String]? = nil) {
        self.labels = labels
        self.annotations = annotations
    }
}

/// Variable substitution after the build (Flux's `PostBuild`, without `substituteStrategy`).
public struct PostBuild: Sendable, Hashable, Codable {
    /// Inline variables; they win over ``substituteFrom``. Names match `^[_[:alpha:]][_[:alpha:][:digit:]]*$`.
    public var substitute: [String: String]?
    /// ConfigMaps and Secrets whose data are variables, later entries overriding earlier ones.
    public var substituteFrom: [SubstituteReference]?

    /// Substitution with the given sources.
    public init(substitute: [String: String]? = nil, substituteFrom: [SubstituteReference]? = nil) {
        self.substitute = substitute
        self.substituteFrom = substituteFrom
    }
}

/// A ConfigMap or Secret holding substitution variables (Flux's `SubstituteReference`).
public struct SubstituteReference: Sendable, Hashable, Codable {
    /// The kinds a ``SubstituteReference`` can name.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case configMap = "ConfigMap"
        case secret = "Secret"
    }

    /// ConfigMap or Secret.
    public var kind: Kind
    /// The object's name, in the Kustomization's namespace.
    public var name: String
    /// Whether a missing object counts as empty rather than an error (default false).
    public var optional: Bool?

    /// A reference to the object named by the arguments.
    public init(kind: Kind, name: String, optional: Bool? = nil) {
        self.kind = kind
        self.name = name
        self.optional = optional
    }
}
