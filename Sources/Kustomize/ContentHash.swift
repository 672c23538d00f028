import KubeCore

/// The content-hash name suffix kustomize appends to generated ConfigMaps and Secrets.
///
/// kustomize encodes a small map (`kind`, `name`, `data`, and `type` for Secrets, `binaryData` when present)
/// as Go's `encoding/json` does (sorted keys, HTML-safe escaping), hashes it with SHA-256 and keeps the
/// first ten hex digits, mapping `0 1 3 a e` to `g h k m t` so the suffix never looks like a number or word.
package enum ContentHash {
    /// The suffix for a ConfigMap or Secret object; `nil` for other kinds.
    package static func suffix(for object: JSONValue) -> String? {
        guard let kind = object["kind"]?.stringValue else { return nil }
        let name = object[path: ["metadata", "name"]]?.stringValue ?? ""
        var members: [(String, JSONValue)] = [("kind", .string(kind)), ("name", .string(name))]
        members.append(("data", object["data"].flatMap { $0.objectValue == nil ? nil : stringMap($0) } ?? .null))
        switch kind {
        case "ConfigMap":
            if let binary = object["binaryData"], let map = binary.objectValue, !map.isEmpty {
                members.append(("binaryData", stringMap(binary)))
            }
        case "Secret":
            members.append(("type", .string(object["type"]?.stringValue ?? "")))
        default:
            return nil
        }
        if object["immutable"]?.boolValue == true { members.append(("immutable", .bool(true))) }
        return encode(SHA256Digest.hex(Array(goJSON(.object(JSONObject(members))).utf8)))
    }

    /// Maps the first ten hex digits into kustomize's alphabet.
    package static func encode(_ hex: String) -> String {
        String(
            hex.prefix(10).map { character -> Character in
                switch character {
                case "0": "g"
                case "1": "h"
                case "3": "k"
                case "a": "m"
                case "e": "t"
                default: character
                }
            })
    }

    private static func stringMap(_ value: JSONValue) -> JSONValue {
        guard let object = value.objectValue else { return .null }
        return .object(JSONObject(object.map { ($0.key, JSONValue.string(scalarText($0.value))) }))
    }

    /// The text of a scalar as kustomize reads it from YAML.
    static func scalarText(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): text
        case .integer(let number): String(number)
        case .double(let number): String(number)
        case .bool(let flag): flag ? "true" : "false"
        case .null: ""
        default: JSONSerializer.string(value)
        }
    }

    /// JSON as Go's `json.Marshal` writes it for maps of strings: sorted keys, HTML-safe escapes.
    package static func goJSON(_ value: JSONValue) -> String {
        switch value {
        case .object(let object):
            let body = object.keys.sorted().map { key in goString(key) + ":" + goJSON(object[key] ?? .null) }
            return "{" + body.joined(separator: ",") + "}"
        case .array(let items):
            return "[" + items.map(goJSON).joined(separator: ",") + "]"
        case .string(let text):
            return goString(text)
        default:
            return JSONSerializer.string(value)
        }
    }

    private static func goString(_ text: String) -> String {
        var out = "\""
        let hex = Array("0123456789abcdef")
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<", ">", "&", "\u{2028}", "\u{2029}":
                let v = Int(scalar.value)
                out += "\\u" + String([hex[(v >> 12) & 0xf], hex[(v >> 8) & 0xf], hex[(v >> 4) & 0xf], hex[v & 0xf]])
            default:
                if scalar.value < 0x20 {
                    let v = Int(scalar.value)
                    out += "\\u00" + String([hex[(v >> 4) & 0xf], hex[v & 0xf]])
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
