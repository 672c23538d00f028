import Foundation
import KubeCore

/// Decodes the Kubernetes protobuf request bodies kubectl's typed clients send (client-go 1.31+ uses protobuf for
/// built-in types and does not fall back to JSON) for the kinds its `create` generators make: Namespace,
/// ConfigMap, Secret and ServiceAccount. Other kinds get 415 UnsupportedMediaType.
enum Protobuf {
    /// Reads protobuf wire format: varints and fields.
    struct Reader {
        var bytes: ArraySlice<UInt8>

        mutating func varint() -> UInt64? {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while let byte = bytes.first {
                bytes = bytes.dropFirst()
                result |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return result }
                shift += 7
                if shift > 63 { return nil }
            }
            return nil
        }

        /// The next field: number and either a varint or a length-delimited payload.
        mutating func field() -> (number: Int, varint: UInt64?, data: ArraySlice<UInt8>?)? {
            guard !bytes.isEmpty, let key = varint() else { return nil }
            let number = Int(key >> 3)
            switch key & 7 {
            case 0: return varint().map { (number, $0, nil) }
            case 2:
                guard let length = varint(), length <= UInt64(bytes.count) else { return nil }
                let data = bytes.prefix(Int(length))
                bytes = bytes.dropFirst(Int(length))
                return (number, nil, data)
            case 1:
                guard bytes.count >= 8 else { return nil }
                bytes = bytes.dropFirst(8)
                return (number, 0, nil)
            case 5:
                guard bytes.count >= 4 else { return nil }
                bytes = bytes.dropFirst(4)
                return (number, 0, nil)
            default: return nil
            }
        }
    }

    static func decode(_ body: [UInt8]) throws(APIError) -> JSONValue {
        let magic: [UInt8] = [0x6B, 0x38, 0x73, 0x00]
        guard body.starts(with: magic) else { throw unsupported("missing the k8s protobuf envelope") }
        var reader = Reader(bytes: body.dropFirst(4))
        var apiVersion = ""
        var kind = ""
        var raw: ArraySlice<UInt8> = []
        while let field = reader.field() {
            if field.number == 1, let data = field.data {
                var typeMeta = Reader(bytes: data)
                while let inner = typeMeta.field() {
                    if inner.number == 1 { apiVersion = string(inner.data) }
                    if inner.number == 2 { kind = string(inner.data) }
                }
            } else if field.number == 2, let data = field.data {
                raw = data
            }
        }
        var object = JSONObject()
        object["apiVersion"] = .string(apiVersion)
        object["kind"] = .string(kind)
        var fields = Reader(bytes: raw)
        while let field = fields.field() {
            guard let data = field.data else {
                if field.number == 4, kind == "ConfigMap" || kind == "Secret" {
                    object["immutable"] = .bool(field.varint != 0)
                }
                continue
            }
            switch (kind, field.number) {
            case (_, 1): object["metadata"] = metadata(data)
            case ("ConfigMap", 2), ("Secret", 4):
                mapEntry(data, into: &object, key: field.number == 2 ? "data" : "stringData", base64: false)
            case ("ConfigMap", 3), ("Secret", 2):
                mapEntry(data, into: &object, key: field.number == 3 ? "binaryData" : "data", base64: true)
            case ("Secret", 3): object["type"] = .string(string(data))
            case ("Namespace", _), ("ServiceAccount", _), ("ConfigMap", _), ("Secret", _): break
            default:
                throw unsupported(
                    "protobuf bodies are supported for Namespace, ConfigMap, Secret and ServiceAccount only")
            }
        }
        guard ["Namespace", "ConfigMap", "Secret", "ServiceAccount"].contains(kind) else {
            throw unsupported("protobuf bodies are supported for Namespace, ConfigMap, Secret and ServiceAccount only")
        }
        return .object(object)
    }

    private static func string(_ data: ArraySlice<UInt8>?) -> String {
        String(decoding: data ?? [], as: UTF8.self)
    }

    private static func metadata(_ data: ArraySlice<UInt8>) -> JSONValue {
        var meta = JSONObject()
        var reader = Reader(bytes: data)
        var finalizers: [JSONValue] = []
        while let field = reader.field() {
            guard let value = field.data else { continue }
            switch field.number {
            case 1: meta["name"] = .string(string(value))
            case 2: meta["generateName"] = .string(string(value))
            case 3: meta["namespace"] = .string(string(value))
            case 11: mapEntry(value, into: &meta, key: "labels", base64: false)
            case 12: mapEntry(value, into: &meta, key: "annotations", base64: false)
            case 14: finalizers.append(.string(string(value)))
            default: break
            }
        }
        if !finalizers.isEmpty { meta["finalizers"] = .array(finalizers) }
        return .object(meta)
    }

    private static func mapEntry(_ data: ArraySlice<UInt8>, into object: inout JSONObject, key: String, base64: Bool) {
        var reader = Reader(bytes: data)
        var entryKey = ""
        var entryValue: ArraySlice<UInt8> = []
        while let field = reader.field() {
            if field.number == 1 { entryKey = string(field.data) }
            if field.number == 2 { entryValue = field.data ?? [] }
        }
        var map = object[key]?.objectValue ?? JSONObject()
        map[entryKey] = .string(base64 ? Data(entryValue).base64EncodedString() : string(entryValue))
        object[key] = .object(map)
    }

    private static func unsupported(_ detail: String) -> APIError {
        APIError(
            code: 415, reason: "UnsupportedMediaType",
            message: "the body of the request was in an unknown format - accepted media types include: "
                + "application/json, application/yaml (\(detail))")
    }
}
