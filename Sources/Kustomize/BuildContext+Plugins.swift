import KubeCore

extension BuildContext {
    /// The plugin configurations listed under `field` (`generators` or `transformers`), in order.
    ///
    /// As in kustomize, an entry that parses as YAML objects is an inline configuration; any other entry is a path:
    /// a file of configurations, or a kustomization directory whose build output is the list of configurations.
    mutating func pluginConfigs(
        _ field: String, of kustomization: Kustomization, directory: String, stack: [String]
    ) throws(KustomizeError) -> [JSONValue] {
        var configs: [JSONValue] = []
        for entry in try kustomization.strings(field) {
            if let inline = Self.inlineConfigs(entry, file: kustomization.file, field: field) {
                configs += inline
                continue
            }
            if Kustomization.isRemote(entry) {
                throw .unsupported(
                    file: kustomization.file, field: field,
                    detail: "remote plugin configuration '\(entry)'; vendor it into the source instead")
            }
            let path = try loader.resolve(entry, from: directory)
            if loader.isDirectory(path) {
                configs += try buildDirectory(path, stack: stack, allowGenerated: false).resources.map(\.object)
            } else {
                try loader.checkRestriction(path, directory: directory)
                configs += try loadManifests(path).map(\.object)
            }
        }
        return configs
    }

    /// The configurations written inline in an entry, or nil when the entry is not YAML objects (a path).
    private static func inlineConfigs(_ entry: String, file: String, field: String) -> [JSONValue]? {
        guard entry.contains("\n") || entry.contains(": "),
            let documents = try? YAMLCodec.parseStream(entry, file: file + " (\(field))"), !documents.isEmpty,
            documents.allSatisfy({ $0.objectValue != nil })
        else { return nil }
        return documents
    }
}
