import Foundation
import KubeCore

/// Helpers for reading and normalising object metadata inside the store.
enum ObjectMeta {
    static let metadataOrder = [
        "name", "generateName", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers",
        "managedFields",
    ]

    /// Puts `apiVersion`, `kind`, `metadata` first and orders metadata keys as the Go structs do.
    static func canonical(_ object: JSONObject) -> JSONObject {
        var result = JSONObject()
        for key in ["apiVersion", "kind", "metadata"] {
            if let value = object[key] { result[key] = value }
        }
        if let metadata = object["metadata"]?.objectValue {
            var ordered = JSONObject()
            for key in metadataOrder { if let value = metadata[key] { ordered[key] = value } }
            for (key, value) in metadata where ordered[key] == nil { ordered[key] = value }
            result["metadata"] = .object(ordered)
        }
        for (key, value) in object where result[key] == nil { result[key] = value }
        return result
    }

    static func name(_ object: JSONValue) -> String { object[path: ["metadata", "name"]]?.stringValue ?? "" }
    static func namespace(_ object: JSONValue) -> String {
        object[path: ["metadata", "namespace"]]?.stringValue ?? ""
    }
    static func labels(_ object: JSONValue) -> [String: String] {
        var result: [String: String] = [:]
        for (key, value) in object[path: ["metadata", "labels"]]?.objectValue ?? JSONObject() {
            result[key] = value.stringValue ?? ""
        }
        return result
    }
    static func finalizers(_ object: JSONValue) -> [JSONValue] {
        object[path: ["metadata", "finalizers"]]?.arrayValue ?? []
    }

    /// The current time in RFC 3339 with second precision, as Kubernetes writes timestamps.
    static func now() -> String {
        Date.now.formatted(.iso8601)
    }

    static func parseTime(_ text: String) -> Date? {
        try? Date(text, strategy: .iso8601)
    }

    /// The object without `metadata` and (when `dropStatus`) `status`: what `generation` tracks.
    static func specPart(_ object: JSONValue, dropStatus: Bool) -> JSONValue {
        var copy = object
        copy["metadata"] = nil
        if dropStatus { copy["status"] = nil }
        return copy
    }

    /// A random lowercase alphanumeric suffix for `generateName`.
    static func randomSuffix() -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        return String((0..<5).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }
}
