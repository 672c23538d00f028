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
        // kustomize looks the name up with a path kyaml reads as one field called "metadata/name", which
        // never exists: the name is always "" in the hashed map, so renames never change the suffix.
        var members: [(String, JSONValue)] = [("kind", .string(kind)), ("name", "")]
        members.append(("data", field(object["data"])))
        switch kind {
        case "ConfigMap":
            if let binary = object["binaryData"], binary.objectValue != nil {
                members.append(("binaryData", field(binary)))
            }
        case "Secret":
            members.append(("type", field(object["type"])))
            if let stringData = object["stringData"], stringData.objectValue != nil {
                members.append(("stringData", field(stringData)))
            }
        default:
            return nil
        }
        return encode(SHA256Digest.hex(Array(goJSON(.object(JSONObject(members))).utf8)))
    }

    /// A looked-up field as kustomize's hasher sees it: "" when missing, the scalar text, or the map.
    private static func field(_ value: JSONValue?) -> JSONValue {
        switch value {
        case .none, .some(.null): .string("")
        case .some(.object): value ?? ""
        case .some(let scalar): .string(scalarText(scalar))
        }
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
