import KubeCore

/// A parsed kustomization file: its raw object plus typed access to the fields the builder uses.
struct Kustomization: Sendable {
    /// The file, relative to the build root.
    let file: String
    let object: JSONValue

    static let refusedFields: [String: String] = [
        "helmCharts": "Helm charts are not inflated; render the chart into manifests first",
        "helmChartInflationGenerator": "Helm charts are not inflated; render the chart into manifests first",
        "helmGlobals": "Helm charts are not inflated; render the chart into manifests first",
        "validators": "validator plugins are not run",
        "openapi": "custom OpenAPI schemas are not supported",
        "buildMetadata": "buildMetadata is not supported",
    ]

    static let knownFields: Set<String> = [
        "apiVersion", "kind", "metadata", "resources", "bases", "components", "namespace", "namePrefix", "nameSuffix",
        "commonLabels", "labels", "commonAnnotations", "images", "replicas", "configMapGenerator", "secretGenerator",
        "generatorOptions", "patches", "patchesStrategicMerge", "patchesJson6902", "replacements", "sortOptions",
        "crds", "generators", "transformers", "vars", "configurations",
    ]

    static func load(_ path: String, loader: Loader) throws(KustomizeError) -> Kustomization {
        try parse(try read(path, loader: loader), file: loader.relative(path))
    }

    /// The raw object of a kustomization file.
    static func read(_ path: String, loader: Loader) throws(KustomizeError) -> JSONValue {
        let file = loader.relative(path)
        let documents = try YAMLCodec.parseStream(try loader.readText(path), file: file)
        guard documents.count <= 1 else {
            throw .invalidField(file: file, field: "(document)", detail: "a kustomization must be a single document")
        }
        return documents.first ?? .object(JSONObject())
    }

    /// Validates a kustomization object read from (or generated for) `file`.
    static func parse(_ object: JSONValue, file: String) throws(KustomizeError) -> Kustomization {
        guard let members = object.objectValue else {
            throw .invalidField(file: file, field: "(document)", detail: "a kustomization must be a mapping")
        }
        for key in members.keys {
            if let why = refusedFields[key], !(isEmpty(members[key])) {
                throw .unsupported(file: file, field: key, detail: why)
            }
            if refusedFields[key] == nil && !knownFields.contains(key) {
                throw .invalidField(file: file, field: key, detail: "unknown kustomization field")
            }
        }
        if members.keys.allSatisfy({ ["apiVersion", "kind"].contains($0) }) {
            throw .invalidField(file: file, field: "(document)", detail: "the kustomization is empty; list resources")
        }
        try checkKindAndVersion(object, file: file)
        if let sort = object["sortOptions"]?["order"]?.stringValue, sort != "legacy" {
            throw .unsupported(file: file, field: "sortOptions", detail: "only the legacy order is supported")
        }
        return Kustomization(file: file, object: object)
    }

    /// kustomize's rule: `kind` is Kustomization or Component (or missing), and `apiVersion` (if given) is
    /// `kustomize.config.k8s.io/v1beta1` for a Kustomization and `…/v1alpha1` for a Component.
    private static func checkKindAndVersion(_ object: JSONValue, file: String) throws(KustomizeError) {
        let kind = object["kind"]?.stringValue ?? ""
        guard ["", "Kustomization", "Component"].contains(kind) else {
            throw .invalidField(file: file, field: "kind", detail: "kind should be Kustomization or Component")
        }
        let required = kind == "Component" ? "kustomize.config.k8s.io/v1alpha1" : "kustomize.config.k8s.io/v1beta1"
        if let version = object["apiVersion"]?.stringValue, !version.isEmpty, version != required {
            throw .invalidField(
                file: file, field: "apiVersion",
                detail: "apiVersion for \(kind.isEmpty ? "Kustomization" : kind) should be \(required)")
        }
    }

    private static func isEmpty(_ value: JSONValue?) -> Bool {
        switch value {
        case .none, .some(.null): true
        case .some(.array(let items)): items.isEmpty
        case .some(.object(let object)): object.isEmpty
        default: false
        }
    }

    /// Whether an entry of `resources` names a remote location.
    static func isRemote(_ entry: String) -> Bool {
        let lowered = entry.lowercased()
        return lowered.contains("://") || lowered.hasPrefix("git@") || lowered.hasPrefix("github.com/")
            || lowered.hasPrefix("gitlab.com/") || lowered.hasPrefix("bitbucket.org/") || lowered.contains("?ref=")
            || lowered.contains(".git//")
    }

    var isComponent: Bool { object["kind"]?.stringValue == "Component" }

    func strings(_ field: String) throws(KustomizeError) -> [String] {
        guard let value = object[field], !value.isNull else { return [] }
        guard let items = value.arrayValue else {
            throw .invalidField(file: file, field: field, detail: "expected a list of strings")
        }
        var result: [String] = []
        for item in items {
            guard let text = item.stringValue else {
                throw .invalidField(file: file, field: field, detail: "expected a list of strings")
            }
            result.append(text)
        }
        return result
    }

    var resources: [String] { get throws(KustomizeError) { try strings("resources") + strings("bases") } }
    var components: [String] { get throws(KustomizeError) { try strings("components") } }

    func string(_ field: String) -> String? { object[field]?.stringValue }

    /// A list field of objects (empty if missing).
    func objects(_ field: String) throws(KustomizeError) -> [JSONValue] {
        guard let value = object[field], !value.isNull else { return [] }
        guard let items = value.arrayValue else {
            throw .invalidField(file: file, field: field, detail: "expected a list")
        }
        return items
    }

    /// A map of strings field (empty if missing).
    func stringMap(_ field: String) throws(KustomizeError) -> [(String, String)] {
        try Self.stringMap(object[field], file: file, field: field)
    }

    static func stringMap(_ value: JSONValue?, file: String, field: String) throws(KustomizeError) -> [(String, String)]
    {
        guard let value, !value.isNull else { return [] }
        guard let members = value.objectValue else {
            throw .invalidField(file: file, field: field, detail: "expected a map of strings")
        }
        var pairs: [(String, String)] = []
        for (key, member) in members {
            guard let text = member.stringValue else {
                throw .invalidField(
                    file: file, field: "\(field).\(key)", detail: "expected a string value; quote it, e.g. \"1\"")
            }
            pairs.append((key, text))
        }
        return pairs
    }
}
