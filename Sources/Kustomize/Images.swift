import KubeCore

/// The `images` transformer: new names, tags and digests for container images.
enum Images {
    struct Override {
        var name: String
        var newName: String?
        var newTag: String?
        var digest: String?
    }

    /// Applies each entry in turn (a later entry sees the images an earlier one rewrote, as kustomize runs one
    /// transformer per entry): to every `containers`/`initContainers` list found anywhere, then to the fields
    /// `specs` select (the images configuration).
    static func apply(_ entries: [JSONValue], file: String, specs: [FieldSpec] = [], to resources: inout [Resource])
        throws(KustomizeError)
    {
        var overrides: [Override] = []
        for entry in entries { overrides.append(try parse(entry, file: file)) }
        for override in overrides {
            for index in resources.indices where resources[index].kind != "CustomResourceDefinition" {
                walk(&resources[index].object, overrides: [override])
                for spec in specs where spec.applies(to: resources[index]) {
                    spec.visit(&resources[index].object, creating: false) { value in
                        if let image = value?.stringValue, let updated = rewrite(image, [override]) {
                            value = .string(updated)
                        }
                    }
                }
            }
        }
    }

    /// One entry of `images` (or a plugin's `imageTag`).
    static func parse(_ entry: JSONValue, file: String) throws(KustomizeError) -> Override {
        guard let name = entry["name"]?.stringValue else {
            throw .invalidField(file: file, field: "images", detail: "each entry needs a name")
        }
        return Override(
            name: name, newName: entry["newName"]?.stringValue, newTag: entry["newTag"].map(ContentHash.scalarText),
            digest: entry["digest"]?.stringValue)
    }

    private static func walk(_ value: inout JSONValue, overrides: [Override]) {
        switch value {
        case .object(var object):
            for key in object.keys {
                guard var child = object[key] else { continue }
                if key == "containers" || key == "initContainers" || key == "ephemeralContainers",
                    var items = child.arrayValue
                {
                    for i in items.indices {
                        if let image = items[i]["image"]?.stringValue, let updated = rewrite(image, overrides) {
                            items[i]["image"] = .string(updated)
                        }
                    }
                    child = .array(items)
                }
                walk(&child, overrides: overrides)
                object[key] = child
            }
            value = .object(object)
        case .array(var items):
            for i in items.indices { walk(&items[i], overrides: overrides) }
            value = .array(items)
        default:
            return
        }
    }

    /// Splits an image reference into name, tag and digest.
    static func split(_ image: String) -> (name: String, tag: String?, digest: String?) {
        var rest = Substring(image)
        var digest: String?
        if let at = rest.firstIndex(of: "@") {
            digest = String(rest[rest.index(after: at)...])
            rest = rest[..<at]
        }
        var tag: String?
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            tag = String(rest[rest.index(after: colon)...])
            rest = rest[..<colon]
        }
        return (String(rest), tag, digest)
    }

    static func rewrite(_ image: String, _ overrides: [Override]) -> String? {
        let parts = split(image)
        guard let override = overrides.first(where: { $0.name == parts.name }) else { return nil }
        var result = override.newName ?? parts.name
        // Overriding the tag or the digest drops both of the original's, as kustomize v5 does.
        var tag = parts.tag
        var digest = parts.digest
        let newTag = override.newTag.flatMap { $0.isEmpty ? nil : $0 }
        let newDigest = override.digest.flatMap { $0.isEmpty ? nil : $0 }
        if newTag != nil || newDigest != nil {
            tag = newTag
            digest = newDigest
        }
        if let tag { result += ":" + tag }
        if let digest { result += "@" + digest }
        return result
    }
}
