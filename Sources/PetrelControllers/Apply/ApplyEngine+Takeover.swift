import KubeCore

extension ApplyEngine {
    /// Whether a `managedFields` entry belongs to a manager whose fields Petrel takes over before applying
    /// (Flux's drift-correction cleanup): `kubectl` and `kubectl-*` (edit, patch, client-side apply…),
    /// `before-first-apply`, and Petrel's own manager's `Update` operations. Subresource entries are left alone.
    static func isTakenOver(_ entry: JSONValue, manager: String) -> Bool {
        guard (entry["subresource"]?.stringValue ?? "").isEmpty else { return false }
        let name = entry["manager"]?.stringValue ?? ""
        if name == manager { return entry["operation"]?.stringValue == "Update" }
        return name == "kubectl" || name.hasPrefix("kubectl-") || name == "before-first-apply"
    }

    /// The live object's `managedFields` with the taken-over entries merged into `manager`'s Apply entry, or nil
    /// when there is nothing to take over. Applying afterwards removes the fields those managers added that the
    /// manifest does not have (so `kubectl edit` changes are reverted) and the `last-applied-configuration`
    /// annotation of client-side apply.
    static func managedFieldsTakingOver(_ live: JSONValue, manager: String) -> JSONValue? {
        let entries = live[path: ["metadata", "managedFields"]]?.arrayValue ?? []
        let taken = entries.filter { isTakenOver($0, manager: manager) }
        guard !taken.isEmpty else { return nil }
        var kept = entries.filter { !isTakenOver($0, manager: manager) }
        let ownIndex = kept.firstIndex {
            $0["manager"]?.stringValue == manager && $0["operation"]?.stringValue == "Apply"
                && ($0["subresource"]?.stringValue ?? "").isEmpty
        }
        var own: JSONValue =
            ownIndex.map { kept[$0] } ?? [
                "manager": .string(manager), "operation": "Apply",
                "apiVersion": live["apiVersion"] ?? .string(""), "time": taken[0]["time"] ?? .string(""),
                "fieldsType": "FieldsV1", "fieldsV1": [:],
            ]
        var fields = own["fieldsV1"] ?? [:]
        for entry in taken { fields = mergeFields(fields, entry["fieldsV1"] ?? [:]) }
        own["fieldsV1"] = fields
        if let ownIndex { kept[ownIndex] = own } else { kept.append(own) }
        return .array(kept)
    }

    /// The union of two FieldsV1 trees.
    static func mergeFields(_ lhs: JSONValue, _ rhs: JSONValue) -> JSONValue {
        guard var left = lhs.objectValue, let right = rhs.objectValue else { return lhs.objectValue == nil ? rhs : lhs }
        for (key, value) in right {
            left[key] = left[key].map { mergeFields($0, value) } ?? value
        }
        return .object(left)
    }
}
