import KubeCore

/// The built-in transformers of one kustomization, run in kustomize's order.
struct Transformers {
    let loader: Loader
    let kustomization: Kustomization
    let directory: String
    /// The field specs of each transformer (defaults, `configurations`, `crds`).
    var config = TransformerConfig.defaults

    mutating func run(on resources: inout [Resource]) throws(KustomizeError) {
        let patches = Patches(loader: loader, kustomization: kustomization, directory: directory)
        try patches.applyStrategicMergeFiles(to: &resources)
        try patches.applyPatches(to: &resources)
        if let namespace = kustomization.string("namespace"), !namespace.isEmpty {
            Self.applyNamespace(namespace, specs: config.namespace, to: &resources)
            try Self.checkUnique(resources, field: "namespace", file: kustomization.file)
        }
        applyPrefixSuffix(
            prefix: kustomization.string("namePrefix") ?? "", suffix: kustomization.string("nameSuffix") ?? "",
            to: &resources)
        try applyLabels(to: &resources)
        try applyAnnotations(to: &resources)
        try patches.applyJSON6902(to: &resources)
        try applyReplicas(to: &resources)
        try Images.apply(
            try kustomization.objects("images"), file: kustomization.file, specs: config.images, to: &resources)
        try Replacements(loader: loader, kustomization: kustomization, directory: directory).apply(to: &resources)
    }

    /// Refuses two resources that a transformer gave the same id.
    static func checkUnique(_ resources: [Resource], field: String, file: String) throws(KustomizeError) {
        var seen = Set<String>()
        for resource in resources {
            let key = "\(resource.gvk.group)|\(resource.kind)|\(resource.effectiveNamespace)|\(resource.name)"
            if !seen.insert(key).inserted {
                throw .invalidField(
                    file: file, field: field, detail: "the transformation gives two resources the id \(resource.id)")
            }
        }
    }

    static let prefixSkipped: Set<String> = ["CustomResourceDefinition", "APIService", "Namespace"]

    /// As kustomize, the prefix transformer (namePrefix fields) runs before the suffix transformer (nameSuffix fields).
    private func applyPrefixSuffix(prefix: String, suffix: String, to resources: inout [Resource]) {
        Self.applyPrefixSuffix(prefix: prefix, suffix: "", specs: config.namePrefix, to: &resources)
        Self.applyPrefixSuffix(prefix: "", suffix: suffix, specs: config.nameSuffix, to: &resources)
    }

    /// Adds `prefix` and `suffix` to the fields at `specs` (the object's name for `metadata/name`, recorded for name
    /// references) of every resource but CRDs, APIServices and Namespaces; `prefixSpecs` get the prefix only.
    static func applyPrefixSuffix(
        prefix: String, suffix: String, specs: [FieldSpec], prefixSpecs: [FieldSpec] = [],
        to resources: inout [Resource]
    ) {
        guard !prefix.isEmpty || !suffix.isEmpty else { return }
        for index in resources.indices where !prefixSkipped.contains(resources[index].kind) {
            for spec in specs where spec.applies(to: resources[index]) {
                if spec.isMetadataName {
                    resources[index].rename(prefix + resources[index].name + suffix)
                    if !prefix.isEmpty { resources[index].prefixes.append(prefix) }
                    if !suffix.isEmpty { resources[index].suffixes.append(suffix) }
                } else {
                    spec.visit(&resources[index].object) { value in
                        if let text = value?.stringValue { value = .string(prefix + text + suffix) }
                    }
                }
            }
            guard !prefix.isEmpty else { continue }
            for spec in prefixSpecs where spec.applies(to: resources[index]) {
                spec.visit(&resources[index].object) { value in
                    if let text = value?.stringValue { value = .string(prefix + text) }
                }
            }
        }
    }

    private func applyLabels(to resources: inout [Resource]) throws(KustomizeError) {
        let file = kustomization.file
        var groups: [([(String, String)], [FieldSpec])] = []
        let common = try kustomization.stringMap("commonLabels")
        if !common.isEmpty {
            groups.append((common, config.commonLabels))
        }
        for entry in try kustomization.objects("labels") {
            let pairs = try Kustomization.stringMap(entry["pairs"], file: file, field: "labels.pairs")
            // As kustomize: the entry's own fields, then the configured `labels` fields, then selectors and templates
            // (includeSelectors) or templates (includeTemplates) and the object's labels.
            var specs = try FieldSpec.list(entry["fields"], file: file, field: "labels.fields")
            var added = config.labels
            if entry["includeSelectors"]?.boolValue == true {
                added += config.commonLabels
            } else {
                if entry["includeTemplates"]?.boolValue == true { added += config.templateLabels }
                added.append(FieldSpec("metadata/labels", create: true))
            }
            for spec in added { try TransformerConfig.add(spec, to: &specs, file: file, field: "labels") }
            groups.append((pairs, specs))
        }
        for (pairs, specs) in groups {
            Self.setMapEntries(pairs, specs: specs, on: &resources)
        }
    }

    private func applyAnnotations(to resources: inout [Resource]) throws(KustomizeError) {
        let pairs = try kustomization.stringMap("commonAnnotations")
        guard !pairs.isEmpty else { return }
        Self.setMapEntries(pairs, specs: config.commonAnnotations, tag: "annotations", on: &resources)
    }

    /// Sets `pairs` in the maps at `specs` of every resource.
    ///
    /// Like kustomize (kyaml), one call shares a single value node among every field where it creates a key, and
    /// a later call that finds the key already present overwrites that shared node in place: so an overlay's
    /// `labels` without selectors still changes selector values that a base's `commonLabels` or
    /// `includeSelectors` label created together with the metadata label. `tag` separates labels from annotations.
    static func setMapEntries(
        _ pairs: [(String, String)], specs: [FieldSpec], tag: String = "labels", on resources: inout [Resource]
    ) {
        for index in resources.indices {
            var resource = resources[index]
            let applicable = specs.filter { $0.applies(to: resource) }
            guard !applicable.isEmpty else { continue }
            for (key, text) in pairs {
                var existed = Set<String>()
                var created: [String] = []
                for spec in applicable {
                    let place = spec.pathText
                    spec.visit(&resource.object) { value in
                        var map: JSONObject
                        switch value {
                        case .some(.object(let existing)): map = existing
                        case .none, .some(.null): map = JSONObject()
                        default: return
                        }
                        if map[key] != nil { existed.insert(place) } else { created.append(place) }
                        map[key] = .string(text)
                        value = .object(map)
                    }
                }
                let linkKey = tag + "/" + key
                var groups = resource.sharedEntries[linkKey] ?? []
                for group in groups where !existed.isDisjoint(with: group) {
                    for place in group where !existed.contains(place) {
                        FieldSpec(place).visit(&resource.object) { value in
                            guard case .some(.object(var map)) = value, map[key] != nil else { return }
                            map[key] = .string(text)
                            value = .object(map)
                        }
                    }
                }
                if created.count > 1 { groups.append(created) }
                if !groups.isEmpty { resource.sharedEntries[linkKey] = groups }
            }
            resources[index] = resource
        }
    }

    private func applyReplicas(to resources: inout [Resource]) throws(KustomizeError) {
        for entry in try kustomization.objects("replicas") {
            guard let name = entry["name"]?.stringValue, let count = entry["count"]?.integerValue else {
                throw .invalidField(
                    file: kustomization.file, field: "replicas", detail: "each entry needs name and count")
            }
            guard Self.setReplicas(name: name, count: count, specs: config.replicas, on: &resources) else {
                throw .invalidField(
                    file: kustomization.file, field: "replicas",
                    detail: "no resource named '\(name)' has a replicas field of the configuration "
                        + "(by default: a Deployment, ReplicationController, ReplicaSet or StatefulSet)")
            }
        }
    }

    /// Sets `count` at every spec's path of the resources named (now or before) `name`; returns whether a spec
    /// matched any resource.
    @discardableResult
    static func setReplicas(name: String, count: Int64, specs: [FieldSpec], on resources: inout [Resource]) -> Bool {
        var found = false
        for spec in specs {
            for index in resources.indices where resources[index].allNames.contains(name) {
                guard spec.applies(to: resources[index]) else { continue }
                found = true
                spec.visit(&resources[index].object) { value in value = .integer(count) }
            }
        }
        return found
    }

}
