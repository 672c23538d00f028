import Foundation
import KubeCore

extension ObjectStore {
    /// The current resourceVersion, to tell whether a snapshot is stale.
    var currentResourceVersion: Int64 { state.withLock { $0.resourceVersion } }

    /// Every object as JSON lines: a header with the resourceVersion, then one `{"key":…,"object":…}` per object.
    func snapshot() -> (resourceVersion: Int64, bytes: [UInt8]) {
        let (resourceVersion, objects) = state.withLock { ($0.resourceVersion, $0.objects) }
        var out = Array("{\"resourceVersion\":\(resourceVersion)}\n".utf8)
        for (typeKey, byName) in objects.sorted(by: { $0.key < $1.key }) {
            for (_, object) in byName.sorted(by: { $0.key < $1.key }) {
                out.append(contentsOf: Array("{\"key\":".utf8))
                out.append(contentsOf: JSONSerializer.bytes(.string(typeKey)))
                out.append(contentsOf: Array(",\"object\":".utf8))
                out.append(contentsOf: object.bytes)
                out.append(contentsOf: Array("}\n".utf8))
            }
        }
        return (resourceVersion, out)
    }

    /// Replaces the store's contents with a snapshot; CRDs in it are served again.
    ///
    /// - Throws: ``LocalAPIServerError/dataDirectoryUnreadable(path:underlying:)`` for a line that is not valid.
    func restore(_ bytes: [UInt8], path: String) throws(LocalAPIServerError) {
        var lines = bytes.split(separator: UInt8(ascii: "\n"))
        guard !lines.isEmpty else { return }
        let header: JSONValue
        do {
            header = try JSONParser.parse(lines.removeFirst())
        } catch {
            throw .dataDirectoryUnreadable(path: path, underlying: error.description)
        }
        var entries: [(String, JSONValue)] = []
        for line in lines {
            do {
                let entry = try JSONParser.parse(line)
                guard let key = entry["key"]?.stringValue, let object = entry["object"] else { continue }
                entries.append((key, object))
            } catch {
                throw .dataDirectoryUnreadable(path: path, underlying: error.description)
            }
        }
        state.withLock { state in
            state.resourceVersion = header["resourceVersion"]?.integerValue ?? 0
            state.objects = [:]
            for (key, object) in entries {
                let objectKey = Self.objectKey(ObjectMeta.namespace(object), ObjectMeta.name(object))
                state.objects[key, default: [:]][objectKey] = StoredObject(object)
                if key == ResourceType.crdType.key, case .success(let types) = ResourceType.fromCRD(object) {
                    state.crdTypes[ObjectMeta.name(object)] = types
                    for served in types { state.types["\(served.group)/\(served.version)/\(served.plural)"] = served }
                }
            }
        }
    }
}
