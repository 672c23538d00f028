import KubeCore

extension FieldSpec {
    /// Reads a list of field specs as kustomize's configurations write them: `path`, and optionally `kind`,
    /// `group`, `version` (empty or missing: any) and `create`.
    ///
    /// - Parameters:
    ///   - value: The list (nil or null: no specs).
    ///   - file: The file the list is in, for errors.
    ///   - field: The field holding the list, for errors.
    /// - Returns: The specs, in order.
    /// - Throws: `KustomizeError.invalidField` when the value is not a list of objects with a `path`.
    static func list(_ value: JSONValue?, file: String, field: String) throws(KustomizeError) -> [FieldSpec] {
        guard let value, !value.isNull else { return [] }
        guard let items = value.arrayValue else {
            throw .invalidField(file: file, field: field, detail: "expected a list of field specs")
        }
        var specs: [FieldSpec] = []
        for item in items {
            let spec = try parse(item, file: file, field: field, strict: false)
            guard !spec.pathText.isEmpty else {
                throw .invalidField(file: file, field: field, detail: "each field spec needs a 'path'")
            }
            specs.append(spec)
        }
        return specs
    }
}
