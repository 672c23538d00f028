import KubeCore

/// Transformer configuration read from the OpenAPI definitions listed in a kustomization's `crds` field.
///
/// Each file maps type names (`com.example.v1.Widget`) to `{Schema: {properties: …}}`. A type with `kind`,
/// `apiVersion` and `metadata` properties is a resource of the kind after the last `.`; its properties (and those of
/// types they `$ref`, by name) may carry `x-kubernetes-annotation` (commonAnnotations reach it),
/// `x-kubernetes-label-selector` (commonLabels reach it), `x-kubernetes-identity` (namePrefix reaches it) and
/// `x-kubernetes-object-ref-kind` with `x-kubernetes-object-ref-api-version` (a name reference, to the field named by
/// `x-kubernetes-object-ref-name-key`, default `name`).
enum CRDConfig {
    /// Reads the definitions in `text` (JSON or YAML) from `file`.
    static func parse(_ text: String, file: String) throws(KustomizeError) -> TransformerConfig {
        let documents = try YAMLCodec.parseStream(text, file: file)
        guard documents.count <= 1, let types = (documents.first ?? .object(JSONObject())).objectValue else {
            throw .invalidField(
                file: file, field: "crds", detail: "expected one map of OpenAPI definitions by type name")
        }
        var config = TransformerConfig()
        for (name, definition) in types {
            guard let properties = schema(definition)?["properties"]?.objectValue,
                properties["kind"] != nil, properties["apiVersion"] != nil, properties["metadata"] != nil
            else { continue }
            let kind = String(name.split(separator: ".").last ?? Substring(name))
            var visited: Set<String> = []
            load(types: types, typeName: name, kind: kind, path: [], visited: &visited, into: &config)
        }
        return config
    }

    private static func schema(_ definition: JSONValue) -> JSONValue? {
        definition["Schema"] ?? definition["schema"]
    }

    private static func load(
        types: JSONObject, typeName: String, kind: String, path: [String], visited: inout Set<String>,
        into config: inout TransformerConfig
    ) {
        guard path.count < 32, let definition = types[typeName],
            let properties = schema(definition)?["properties"]?.objectValue
        else { return }
        for (property, value) in properties {
            let here = path + [property]
            let spec = FieldSpec(here.joined(separator: "/"), kind: kind)
            if value["x-kubernetes-annotation"]?.stringValue != nil { config.commonAnnotations.append(spec) }
            if value["x-kubernetes-label-selector"]?.stringValue != nil { config.commonLabels.append(spec) }
            if value["x-kubernetes-identity"]?.stringValue != nil { config.namePrefix.append(spec) }
            if let version = value["x-kubernetes-object-ref-api-version"]?.stringValue,
                let target = value["x-kubernetes-object-ref-kind"]?.stringValue
            {
                let key = value["x-kubernetes-object-ref-name-key"]?.stringValue ?? "name"
                config.nameReference.append(
                    TransformerConfig.NameBackReference(
                        kind: target, group: "", version: version,
                        referrers: [FieldSpec((here + [key]).joined(separator: "/"), kind: kind)]))
            }
            if let reference = value["$ref"]?.stringValue, !visited.contains(reference) {
                visited.insert(reference)
                load(types: types, typeName: reference, kind: kind, path: here, visited: &visited, into: &config)
                visited.remove(reference)
            }
        }
    }
}
