import KubeCore

extension ResourceType {
    /// The resource types a CustomResourceDefinition serves (one per served version).
    ///
    /// - Returns: the types, or the causes that make the definition invalid.
    static func fromCRD(_ crd: JSONValue) -> Result<[ResourceType], APIError> {
        let name = crd[path: ["metadata", "name"]]?.stringValue ?? ""
        var causes: [APIError.Cause] = []
        func require(_ path: [String]) -> String {
            guard let value = crd[path: path]?.stringValue, !value.isEmpty else {
                causes.append(
                    .init(reason: "FieldValueRequired", message: "Required value", field: path.joined(separator: ".")))
                return ""
            }
            return value
        }
        let group = require(["spec", "group"])
        let plural = require(["spec", "names", "plural"])
        let kind = require(["spec", "names", "kind"])
        let scope = require(["spec", "scope"])
        if !plural.isEmpty, !group.isEmpty, name != "\(plural).\(group)" {
            causes.append(
                .init(
                    reason: "FieldValueInvalid",
                    message: "Invalid value: \"\(name)\": must be spec.names.plural+\".\"+spec.group",
                    field: "metadata.name"))
        }
        if !scope.isEmpty, scope != "Namespaced", scope != "Cluster" {
            causes.append(
                .init(
                    reason: "FieldValueNotSupported",
                    message: "Unsupported value: \"\(scope)\": supported values: \"Cluster\", \"Namespaced\"",
                    field: "spec.scope"))
        }
        let versions = crd[path: ["spec", "versions"]]?.arrayValue ?? []
        if versions.isEmpty {
            causes.append(.init(reason: "FieldValueRequired", message: "Required value", field: "spec.versions"))
        }
        guard causes.isEmpty else { return .failure(.invalid(.crdType, name, causes)) }
        let names = crd[path: ["spec", "names"]]
        let singular = names?["singular"]?.stringValue ?? kind.lowercased()
        let shortNames = names?["shortNames"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let categories = names?["categories"]?.arrayValue?.compactMap(\.stringValue) ?? []
        var types: [ResourceType] = []
        for version in versions where version["served"]?.boolValue ?? true {
            guard let versionName = version["name"]?.stringValue else { continue }
            let columns = (version["additionalPrinterColumns"]?.arrayValue ?? []).compactMap {
                column -> PrinterColumn? in
                guard let name = column["name"]?.stringValue, let path = column["jsonPath"]?.stringValue else {
                    return nil
                }
                return PrinterColumn(
                    name: name, type: column["type"]?.stringValue ?? "string", jsonPath: path,
                    description: column["description"]?.stringValue ?? "",
                    priority: Int(column["priority"]?.integerValue ?? 0), format: column["format"]?.stringValue ?? "")
            }
            types.append(
                ResourceType(
                    group: group, version: versionName, kind: kind, plural: plural, singular: singular,
                    namespaced: scope == "Namespaced", shortNames: shortNames, categories: categories,
                    hasStatus: version[path: ["subresources", "status"]] != nil, printerColumns: columns,
                    schema: version[path: ["schema", "openAPIV3Schema"]], isCustom: true))
        }
        return .success(types)
    }

    /// The status a served CRD reports: `NamesAccepted` and `Established`, accepted names, stored versions.
    static func crdStatus(_ crd: JSONValue, now: String) -> JSONValue {
        func condition(_ type: String, _ reason: String, _ message: String) -> JSONValue {
            [
                "type": .string(type), "status": "True", "lastTransitionTime": .string(now), "reason": .string(reason),
                "message": .string(message),
            ]
        }
        let stored = (crd[path: ["spec", "versions"]]?.arrayValue ?? []).filter { $0["storage"]?.boolValue ?? false }
            .compactMap { $0["name"] }
        return [
            "conditions": [
                condition("NamesAccepted", "NoConflicts", "no conflicts found"),
                condition("Established", "InitialNamesAccepted", "the initial names have been accepted"),
            ],
            "acceptedNames": crd[path: ["spec", "names"]] ?? [:],
            "storedVersions": .array(stored),
        ]
    }
}
