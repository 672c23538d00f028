import KubeCore

/// Transformer configuration read from the OpenAPI definitions listed in a kustomization's `crds` field.
///
/// Each file maps type names (`com.example.v1.Widget`) to `{Schema: {properties: …}}`. A type with `kind`,
/// `apiVersion` and `metadata` properties is a resource of the kind after the last `.`; its properties (and those of
/// types they `$ref`, by name) may carry `x-kubernetes-annotation` (commonAnnotations reach it),
/// `x-kubernetes-label-selector` (commonLabels reach it), `x-kubernetes-identity` (namePrefix reaches it) and
/// `x-kubernetes-object-ref-kind` with `x-kubernetes-object-ref-api-version` (a name reference, to the field named by
/// `x-kubernetes-object-ref-name-key`, default `name`).
struct CRDConfig {
    var labels: [FieldSpec] = []
    var annotations: [FieldSpec] = []
    var prefixes: [FieldSpec] = []
    var nameReferences: [NameReferences.Rule] = []

    var isEmpty: Bool { labels.isEmpty && annotations.isEmpty && prefixes.isEmpty && nameReferences.isEmpty }

    mutating func merge(_ other: CRDConfig) {
        labels += other.labels
        annotations += other.annotations
        prefixes += other.prefixes
        nameReferences += other.nameReferences
    }

    /// Reads the definitions in `text` (JSON or YAML) from `file`.
    static func parse(_ text: String, file: String) throws(KustomizeError) -> CRDConfig {
        let documents = try YAMLCodec.parseStream(text, file: file)
        guard documents.count <= 1, let types = (documents.first ?? .object(JSONObject())).objectValue else {
            throw .invalidField(
                file: file, field: "crds", detail: "expected one map of OpenAPI definitions by type name")
        }
        var config = CRDConfig()
        for (name, definition) in types {
            guard let properties = schema(definition)?["properties"]?.objectValue,
                properties["kind"] != nil, properties["apiVersion"] != nil, properties["metadata"] != nil
            else { continue }
            let kind = String(name.split(separator: ".").last ?? Substring(name))
            var visited: Set<String> = []
            config.load(types: types, typeName: name, kind: kind, path: [], visited: &visited)
        }
        return config
    }

    private static func schema(_ definition: JSONValue) -> JSONValue? {
        definition["Schema"] ?? definition["schema"]
    }

    private mutating func load(
        types: JSONObject, typeName: String, kind: String, path: [String], visited: inout Set<String>
    ) {
        guard path.count < 32, let definition = types[typeName],
            let properties = Self.schema(definition)?["properties"]?.objectValue
        else { return }
        for (property, value) in properties {
            let here = path + [property]
            let spec = FieldSpec(here.joined(separator: "/"), kind: kind)
            if value["x-kubernetes-annotation"]?.stringValue != nil { annotations.append(spec) }
            if value["x-kubernetes-label-selector"]?.stringValue != nil { labels.append(spec) }
            if value["x-kubernetes-identity"]?.stringValue != nil { prefixes.append(spec) }
            if value["x-kubernetes-object-ref-api-version"]?.stringValue != nil,
                let target = value["x-kubernetes-object-ref-kind"]?.stringValue
            {
                let key = value["x-kubernetes-object-ref-name-key"]?.stringValue ?? "name"
                nameReferences.append(
                    NameReferences.Rule(
                        target: target, referrers: [kind], paths: [(here + [key]).joined(separator: "/")]))
            }
            if let reference = value["$ref"]?.stringValue, !visited.contains(reference) {
                visited.insert(reference)
                load(types: types, typeName: reference, kind: kind, path: here, visited: &visited)
                visited.remove(reference)
            }
        }
    }
}
