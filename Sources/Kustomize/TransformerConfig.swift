import KubeCore

/// The field specs each built-in transformer works on, as kustomize's transformer configuration: the defaults,
/// extended by a kustomization's `configurations` files and `crds` definitions.
///
/// A kustomization's transformers use the configuration merged from its own files and those of every resource
/// directory and component accumulated before them (a base's `configurations` reach its overlays, never its
/// siblings), as kustomize's resource accumulator merges them.
struct TransformerConfig: Sendable {
    var namePrefix: [FieldSpec] = []
    var nameSuffix: [FieldSpec] = []
    var namespace: [FieldSpec] = []
    var commonLabels: [FieldSpec] = []
    /// Extra fields for `labels` entries (empty by default).
    var labels: [FieldSpec] = []
    var templateLabels: [FieldSpec] = []
    var commonAnnotations: [FieldSpec] = []
    var varReference: [FieldSpec] = []
    var images: [FieldSpec] = []
    var replicas: [FieldSpec] = []
    /// Name references beyond the built-in rules of `NameReferences` (those are code, not data).
    var nameReference: [NameBackReference] = []

    /// The fields that name objects of one kind.
    struct NameBackReference: Sendable {
        var kind: String
        var group: String
        var version: String
        var referrers: [FieldSpec]
    }

    /// The field-spec lists by their name in a configurations file.
    static var fieldSpecLists: [(String, WritableKeyPath<TransformerConfig, [FieldSpec]>)] {
        [
            ("namePrefix", \.namePrefix), ("nameSuffix", \.nameSuffix), ("namespace", \.namespace),
            ("commonLabels", \.commonLabels), ("labels", \.labels), ("templateLabels", \.templateLabels),
            ("commonAnnotations", \.commonAnnotations), ("varReference", \.varReference), ("images", \.images),
            ("replicas", \.replicas),
        ]
    }

    /// `other` merged into this configuration: a spec already present (same path; its kind, group and version
    /// select the new one's) is kept once, and one that differs only in `create` is refused, as kustomize does.
    func merged(with other: TransformerConfig, file: String) throws(KustomizeError) -> TransformerConfig {
        var result = self
        for (name, list) in Self.fieldSpecLists {
            for spec in other[keyPath: list] {
                try Self.add(spec, to: &result[keyPath: list], file: file, field: name)
            }
        }
        for reference in other.nameReference {
            if let index = result.nameReference.firstIndex(where: {
                $0.kind == reference.kind && $0.group == reference.group && $0.version == reference.version
            }) {
                for spec in reference.referrers {
                    try Self.add(spec, to: &result.nameReference[index].referrers, file: file, field: "nameReference")
                }
            } else {
                result.nameReference.append(reference)
            }
        }
        return result
    }

    static func add(_ spec: FieldSpec, to list: inout [FieldSpec], file: String, field: String)
        throws(KustomizeError)
    {
        if let existing = list.first(where: { $0.effectivelyEquals(spec) }) {
            guard existing.create == spec.create else {
                throw .invalidField(
                    file: file, field: field,
                    detail: "conflicting fieldspecs for '\(spec.pathText)': 'create' differs from an earlier spec")
            }
            return
        }
        list.append(spec)
    }

    /// Reads a `configurations` file (YAML or JSON): a map from transformer name to a list of field specs; unknown
    /// keys are refused, as kustomize reads these files strictly.
    static func parse(_ text: String, file: String) throws(KustomizeError) -> TransformerConfig {
        let documents = try YAMLCodec.parseStream(text, file: file)
        guard documents.count <= 1, let object = (documents.first ?? .object(JSONObject())).objectValue else {
            throw .invalidField(
                file: file, field: "configurations", detail: "expected one map of field specs by transformer name")
        }
        var config = TransformerConfig()
        for (key, value) in object {
            if value.isNull { continue }
            guard let items = value.arrayValue else {
                throw .invalidField(file: file, field: key, detail: "expected a list")
            }
            if key == "nameReference" {
                for item in items { config.nameReference.append(try parseBackReference(item, file: file)) }
                continue
            }
            guard let list = fieldSpecLists.first(where: { $0.0 == key })?.1 else {
                throw .invalidField(file: file, field: key, detail: "unknown transformer configuration field")
            }
            for item in items {
                try add(FieldSpec.parse(item, file: file, field: key, strict: true), to: &config[keyPath: list],
                    file: file, field: key)
            }
        }
        return config
    }

    private static func parseBackReference(_ item: JSONValue, file: String) throws(KustomizeError)
        -> NameBackReference
    {
        let field = "nameReference"
        guard let object = item.objectValue else {
            throw .invalidField(file: file, field: field, detail: "each entry needs a kind and fieldSpecs")
        }
        if let unknown = object.keys.first(where: { !["kind", "group", "version", "fieldSpecs"].contains($0) }) {
            throw .invalidField(file: file, field: field, detail: "unknown field '\(unknown)'")
        }
        var referrers: [FieldSpec] = []
        for spec in object["fieldSpecs"]?.arrayValue ?? [] {
            try add(
                FieldSpec.parse(spec, file: file, field: field + ".fieldSpecs", strict: true), to: &referrers,
                file: file, field: field)
        }
        return NameBackReference(
            kind: object["kind"]?.stringValue ?? "", group: object["group"]?.stringValue ?? "",
            version: object["version"]?.stringValue ?? "", referrers: referrers)
    }

    /// The name-reference rules to run besides the built-in ones.
    var extraNameReferenceRules: [NameReferences.Rule] {
        nameReference.map { NameReferences.Rule(target: $0.kind, specs: $0.referrers) }
    }
}
