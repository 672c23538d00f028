import KubeCore

/// The fields of a Flux `Kustomization` that change how its path is built.
///
/// Flux semantics: the overrides are written into the path's kustomization file (or into one generated for a path
/// without a kustomization file, listing every manifest below it) before the build: `targetNamespace`, `namePrefix`
/// and `nameSuffix` replace the file's `namespace`, `namePrefix` and `nameSuffix`; `patches` and `components` are
/// appended to the file's lists; `images` replace same-named entries or are appended. `commonMetadata` is set on the
/// metadata of every built object afterwards (never on selectors or templates, and after content hashes are taken).
public struct KustomizationOverrides: Sendable, Equatable {
    /// Replaces the kustomization's `namespace` (Flux `spec.targetNamespace`).
    public var targetNamespace: String?
    /// Replaces the kustomization's `namePrefix`.
    public var namePrefix: String?
    /// Replaces the kustomization's `nameSuffix`.
    public var nameSuffix: String?
    /// Appended to the kustomization's `patches`.
    public var patches: [Patch]
    /// Merged into the kustomization's `images` by name.
    public var images: [Image]
    /// Appended to the kustomization's `components`; paths relative to the built directory.
    public var components: [String]
    /// Skips entries of `components` that do not exist instead of failing (Flux `spec.ignoreMissingComponents`).
    public var ignoreMissingComponents: Bool
    /// Labels and annotations set on every object's metadata after the build.
    public var commonMetadata: CommonMetadata?

    /// Overrides that change nothing unless given.
    public init(
        targetNamespace: String? = nil, namePrefix: String? = nil, nameSuffix: String? = nil, patches: [Patch] = [],
        images: [Image] = [], components: [String] = [], ignoreMissingComponents: Bool = false,
        commonMetadata: CommonMetadata? = nil
    ) {
        self.targetNamespace = targetNamespace
        self.namePrefix = namePrefix
        self.nameSuffix = nameSuffix
        self.patches = patches
        self.images = images
        self.components = components
        self.ignoreMissingComponents = ignoreMissingComponents
        self.commonMetadata = commonMetadata
    }

    /// Whether these overrides change nothing.
    public var isEmpty: Bool { self == KustomizationOverrides() }

    /// A strategic-merge or JSON 6902 patch with an optional target, as in kustomize's `patches` field.
    public struct Patch: Sendable, Equatable {
        /// The patch text (YAML or JSON): a partial object, or a list of JSON 6902 operations.
        public var patch: String
        /// Which objects it applies to; a strategic-merge patch without a target names its object itself.
        public var target: Target?

        /// A patch with an optional target.
        public init(patch: String, target: Target? = nil) {
            self.patch = patch
            self.target = target
        }
    }

    /// A patch target: group, version, kind, name and namespace are anchored regular expressions.
    public struct Target: Sendable, Equatable {
        public var group: String?
        public var version: String?
        public var kind: String?
        public var name: String?
        public var namespace: String?
        /// A Kubernetes label selector, e.g. `app=web,tier in (a,b)`.
        public var labelSelector: String?
        /// A selector over annotations, same syntax as `labelSelector`.
        public var annotationSelector: String?

        /// A target; every field is optional and an empty target matches everything.
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

    /// An image override, as in kustomize's `images` field.
    public struct Image: Sendable, Equatable {
        /// The image name to match (without tag or digest).
        public var name: String
        public var newName: String?
        public var newTag: String?
        /// A digest such as `sha256:…`.
        public var digest: String?

        /// An override for the image `name`.
        public init(name: String, newName: String? = nil, newTag: String? = nil, digest: String? = nil) {
            self.name = name
            self.newName = newName
            self.newTag = newTag
            self.digest = digest
        }
    }

    /// Labels and annotations for every object (Flux `spec.commonMetadata`).
    public struct CommonMetadata: Sendable, Equatable {
        public var labels: [String: String]
        public var annotations: [String: String]

        /// Metadata to set; existing keys are overwritten.
        public init(labels: [String: String] = [:], annotations: [String: String] = [:]) {
            self.labels = labels
            self.annotations = annotations
        }
    }
}

extension KustomizationOverrides {
    /// Reads the overrides from a Flux `Kustomization` spec (`spec.targetNamespace`, `namePrefix`, `nameSuffix`,
    /// `patches`, `images`, `components`, `ignoreMissingComponents`, `commonMetadata`).
    ///
    /// - Throws: `KustomizeError.invalidField` naming the spec field with the wrong shape.
    public init(fluxSpec spec: JSONValue) throws(KustomizeError) {
        let file = "Kustomization spec"
        func string(_ key: String) throws(KustomizeError) -> String? {
            guard let value = spec[key], !value.isNull else { return nil }
            guard let text = value.stringValue else {
                throw .invalidField(file: file, field: "spec.\(key)", detail: "expected a string")
            }
            return text
        }
        func list(_ key: String) throws(KustomizeError) -> [JSONValue] {
            guard let value = spec[key], !value.isNull else { return [] }
            guard let items = value.arrayValue else {
                throw .invalidField(file: file, field: "spec.\(key)", detail: "expected a list")
            }
            return items
        }
        self.init()
        targetNamespace = try string("targetNamespace")
        namePrefix = try string("namePrefix")
        nameSuffix = try string("nameSuffix")
        for (index, entry) in try list("patches").enumerated() {
            guard let text = entry["patch"]?.stringValue else {
                throw .invalidField(file: file, field: "spec.patches[\(index)].patch", detail: "expected a string")
            }
            let target = entry["target"].flatMap { value -> Target? in
                guard value.objectValue != nil else { return nil }
                return Target(
                    group: value["group"]?.stringValue, version: value["version"]?.stringValue,
                    kind: value["kind"]?.stringValue, name: value["name"]?.stringValue,
                    namespace: value["namespace"]?.stringValue, labelSelector: value["labelSelector"]?.stringValue,
                    annotationSelector: value["annotationSelector"]?.stringValue)
            }
            patches.append(Patch(patch: text, target: target))
        }
        for (index, entry) in try list("images").enumerated() {
            guard let name = entry["name"]?.stringValue else {
                throw .invalidField(file: file, field: "spec.images[\(index)].name", detail: "expected a string")
            }
            images.append(
                Image(
                    name: name, newName: entry["newName"]?.stringValue, newTag: entry["newTag"]?.stringValue,
                    digest: entry["digest"]?.stringValue))
        }
        for (index, entry) in try list("components").enumerated() {
            guard let path = entry.stringValue else {
                throw .invalidField(file: file, field: "spec.components[\(index)]", detail: "expected a string")
            }
            components.append(path)
        }
        ignoreMissingComponents = spec["ignoreMissingComponents"]?.boolValue ?? false
        if let metadata = spec["commonMetadata"], metadata.objectValue != nil {
            var labels: [String: String] = [:]
            var annotations: [String: String] = [:]
            for (key, value) in try Kustomization.stringMap(
                metadata["labels"], file: file, field: "spec.commonMetadata.labels")
            {
                labels[key] = value
            }
            for (key, value) in try Kustomization.stringMap(
                metadata["annotations"], file: file, field: "spec.commonMetadata.annotations")
            {
                annotations[key] = value
            }
            commonMetadata = CommonMetadata(labels: labels, annotations: annotations)
        }
    }

    /// The kustomization object with these overrides written in, as Flux's generator writes them.
    func applied(to object: JSONValue, file: String, componentExists: (String) -> Bool) throws(KustomizeError)
        -> JSONValue
    {
        guard var members = object.objectValue else { return object }
        if let targetNamespace { members["namespace"] = .string(targetNamespace) }
        if let namePrefix { members["namePrefix"] = .string(namePrefix) }
        if let nameSuffix { members["nameSuffix"] = .string(nameSuffix) }
        if !patches.isEmpty {
            var list = members["patches"]?.arrayValue ?? []
            for patch in patches {
                var entry = JSONObject()
                entry["patch"] = .string(patch.patch)
                if let target = patch.target {
                    var selector = JSONObject()
                    let fields: [(String, String?)] = [
                        ("group", target.group), ("version", target.version), ("kind", target.kind),
                        ("name", target.name), ("namespace", target.namespace),
                        ("labelSelector", target.labelSelector), ("annotationSelector", target.annotationSelector),
                    ]
                    for case let (key, value?) in fields where !value.isEmpty { selector[key] = .string(value) }
                    entry["target"] = .object(selector)
                }
                list.append(.object(entry))
            }
            members["patches"] = .array(list)
        }
        if !components.isEmpty {
            var list = members["components"]?.arrayValue ?? []
            for component in components {
                if component.hasPrefix("/") || Kustomization.isRemote(component) {
                    throw .invalidField(
                        file: file, field: "components",
                        detail: "component path '\(component)' must be local and relative")
                }
                if ignoreMissingComponents && !componentExists(component) { continue }
                list.append(.string(component))
            }
            members["components"] = .array(list)
        }
        if !images.isEmpty {
            var list = members["images"]?.arrayValue ?? []
            for image in images {
                if let index = list.firstIndex(where: { $0["name"]?.stringValue == image.name }),
                    var existing = list[index].objectValue
                {
                    if let newName = image.newName, !newName.isEmpty { existing["newName"] = .string(newName) }
                    let tag = image.newTag ?? ""
                    let digest = image.digest ?? ""
                    if !tag.isEmpty || !digest.isEmpty {
                        existing["newTag"] = tag.isEmpty ? nil : .string(tag)
                        existing["digest"] = digest.isEmpty ? nil : .string(digest)
                    }
                    list[index] = .object(existing)
                } else {
                    var entry = JSONObject()
                    entry["name"] = .string(image.name)
                    if let newName = image.newName, !newName.isEmpty { entry["newName"] = .string(newName) }
                    if let tag = image.newTag, !tag.isEmpty { entry["newTag"] = .string(tag) }
                    if let digest = image.digest, !digest.isEmpty { entry["digest"] = .string(digest) }
                    list.append(.object(entry))
                }
            }
            members["images"] = .array(list)
        }
        return .object(members)
    }

    /// Sets `commonMetadata` on the metadata of every object.
    func applyCommonMetadata(to objects: inout [JSONValue]) {
        guard let commonMetadata, !commonMetadata.labels.isEmpty || !commonMetadata.annotations.isEmpty else {
            return
        }
        let labels = commonMetadata.labels.sorted { $0.key < $1.key }
        let annotations = commonMetadata.annotations.sorted { $0.key < $1.key }
        for index in objects.indices {
            for (field, pairs) in [("labels", labels), ("annotations", annotations)] where !pairs.isEmpty {
                var map = objects[index][path: ["metadata", field]]?.objectValue ?? JSONObject()
                for (key, value) in pairs { map[key] = .string(value) }
                objects[index].set(path: ["metadata", field], to: .object(map))
            }
        }
    }
}
