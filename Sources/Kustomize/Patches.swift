import KubeCore

/// patches, patchesStrategicMerge and patchesJson6902 of one kustomization.
struct Patches {
    let loader: Loader
    let kustomization: Kustomization
    let directory: String

    private var file: String { kustomization.file }

    /// Reads a patch given as a path or inline text.
    private func load(path: String?, inline: String?, field: String) throws(KustomizeError) -> [JSONValue] {
        if let path {
            let resolved = try loader.resolveFile(path, from: directory)
            return try YAMLCodec.parseStream(try loader.readText(resolved), file: loader.relative(resolved))
        }
        if let inline { return try YAMLCodec.parseStream(inline, file: file + " (\(field))") }
        throw .invalidField(file: file, field: field, detail: "a patch needs 'path' or 'patch'")
    }

    func applyStrategicMergeFiles(to resources: inout [Resource]) throws(KustomizeError) {
        for entry in try kustomization.strings("patchesStrategicMerge") {
            let isInline = entry.contains("\n") || entry.contains(": ")
            let documents = try load(
                path: isInline ? nil : entry, inline: isInline ? entry : nil, field: "patchesStrategicMerge")
            for patch in documents { try applyStrategicMerge(patch, selector: nil, to: &resources) }
        }
    }

    func applyPatches(to resources: inout [Resource]) throws(KustomizeError) {
        for entry in try kustomization.objects("patches") {
            let documents = try load(
                path: entry["path"]?.stringValue, inline: entry["patch"]?.stringValue, field: "patches")
            let target = entry["target"]
            if documents.count == 1, let operations = documents[0].arrayValue {
                guard target != nil else {
                    throw .invalidField(file: file, field: "patches", detail: "a JSON 6902 patch needs a 'target'")
                }
                try applyJSONPatch(operations, selector: Selector(target), to: &resources)
            } else {
                if target != nil && documents.count > 1 {
                    throw .invalidField(
                        file: file, field: "patches",
                        detail: "several strategic-merge patches in one entry cannot share a 'target'")
                }
                let options = PatchOptions(
                    allowNameChange: entry[path: ["options", "allowNameChange"]]?.boolValue ?? false,
                    allowKindChange: entry[path: ["options", "allowKindChange"]]?.boolValue ?? false)
                for patch in documents {
                    try applyStrategicMerge(
                        patch, selector: target.map(Selector.init), options: options, to: &resources)
                }
            }
        }
    }

    func applyJSON6902(to resources: inout [Resource]) throws(KustomizeError) {
        for entry in try kustomization.objects("patchesJson6902") {
            let documents = try load(
                path: entry["path"]?.stringValue, inline: entry["patch"]?.stringValue, field: "patchesJson6902")
            guard documents.count == 1, let operations = documents[0].arrayValue else {
                throw .invalidField(file: file, field: "patchesJson6902", detail: "expected a list of operations")
            }
            try applyJSONPatch(operations, selector: Selector(entry["target"]), to: &resources)
        }
    }

    private func applyJSONPatch(_ operations: [JSONValue], selector: Selector, to resources: inout [Resource])
        throws(KustomizeError)
    {
        for index in resources.indices where selector.matches(resources[index]) {
            do {
                let before = resources[index].object
                resources[index].object = try JSONPatch.apply(operations, to: before)
                resources[index].recordRename(from: before)
                // kustomize round-trips the object through JSON for these, so no value nodes stay shared.
                resources[index].sharedEntries = [:]
            } catch {
                throw .patchFailed(file: file, detail: "\(resources[index].id): \(error.message)")
            }
        }
    }

    private func applyStrategicMerge(
        _ patch: JSONValue, selector: Selector?, options: PatchOptions = PatchOptions(), to resources: inout [Resource]
    )
        throws(KustomizeError)
    {
        var indices: [Int] = []
        if let selector {
            indices = resources.indices.filter { selector.matches(resources[$0]) }
        } else {
            guard let kind = patch["kind"]?.stringValue, let name = patch[path: ["metadata", "name"]]?.stringValue
            else {
                throw .invalidField(
                    file: file, field: "patches", detail: "a patch without target needs kind and metadata.name")
            }
            let group = GroupVersionKind(apiVersion: patch["apiVersion"]?.stringValue ?? "", kind: kind).group
            let namespace = patch[path: ["metadata", "namespace"]]?.stringValue
            indices = resources.indices.filter { index in
                let resource = resources[index]
                return resource.hasOrHad(kind: kind, name: name) && resource.gvk.group == group
                    && (namespace == nil || resource.namespace == namespace
                        || resource.previousNamespaces.contains(namespace ?? ""))
            }
            if indices.isEmpty {
                throw .patchFailed(file: file, detail: "no resource matches the patch for \(kind) '\(name)'")
            }
            if indices.count > 1 {
                throw .patchFailed(file: file, detail: "more than one resource matches the patch for \(kind) '\(name)'")
            }
        }
        var removed: [Int] = []
        for index in indices {
            var effective = patch
            let oldName = resources[index].name
            if effective.objectValue != nil {
                // As kustomize: the target keeps its apiVersion (a patch reaching it through `target` is made
                // for it), kind and name (unless the options allow a change) and namespace.
                if selector != nil { effective["apiVersion"] = resources[index].object["apiVersion"] }
                if !options.allowKindChange || effective["kind"] == nil {
                    effective["kind"] = resources[index].object["kind"]
                }
                if effective["metadata"] != nil {
                    if !options.allowNameChange || effective[path: ["metadata", "name"]] == nil {
                        effective.set(path: ["metadata", "name"], to: .string(oldName))
                    }
                    effective.set(
                        path: ["metadata", "namespace"], to: resources[index].object[path: ["metadata", "namespace"]])
                }
            }
            if let merged = StrategicMerge.merge(
                resources[index].object, effective, schema: StrategicMerge.isBuiltIn(group: resources[index].gvk.group))
            {
                let before = resources[index].object
                resources[index].object = merged
                if !resources[index].sharedEntries.isEmpty { resources[index].syncSharedEntries(before: before) }
                resources[index].recordRename(from: before)
            } else {
                removed.append(index)
            }
        }
        for index in removed.reversed() { resources.remove(at: index) }
    }
}

/// The `options` of a `patches` entry.
struct PatchOptions {
    /// The patch may rename its target.
    var allowNameChange = false
    /// The patch may change its target's kind.
    var allowKindChange = false
}
