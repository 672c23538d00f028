/// JSON merge patches (RFC 7386), as `application/merge-patch+json` means them.
package enum MergePatch {
    /// `target` with `patch` merged in: objects merge recursively, `null` deletes a key, anything else replaces.
    package static func apply(_ patch: JSONValue, to target: JSONValue?) -> JSONValue {
        guard let patchObject = patch.objectValue else { return patch }
        var result = target?.objectValue ?? JSONObject()
        for (key, value) in patchObject {
            if value.isNull {
                result[key] = nil
            } else {
                result[key] = apply(value, to: result[key])
            }
        }
        return .object(result)
    }
}
