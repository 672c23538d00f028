import KubeCore

/// The built-in transformers of one kustomization, run in kustomize's order.
struct Transformers {
    let loader: Loader
    let kustomization: Kustomization
    let directory: String
    /// Extra field specs from the kustomization's `crds`.
    var crds = CRDConfig()

    mutating func run(on resources: inout [Resource]) throws(KustomizeError) {
        let patches = Patches(loader: loader, kustomization: kustomization, directory: directory)
        try patches.applyStrategicMergeFiles(to: &resources)
        try patches.applyPatches(to: &resources)
        if let namespace = kustomization.string("namespace"), !namespace.isEmpty {
            applyNamespace(namespace, to: &resources)
            try Self.checkUnique(resources, field: "namespace", file: kustomization.file)
        }
        applyPrefixSuffix(
            prefix: kustomization.string("namePrefix") ?? "", suffix: kustomization.string("nameSuffix") ?? "",
            to: &resources)
        try applyLabels(to: &resources)
        try applyAnnotations(to: &resources)
        try patches.applyJSON6902(to: &resources)
        try applyReplicas(to: &resources)
        try Images.apply(try kustomization.objects("images"), file: kustomization.file, to: &resources)
        try Replacements(loader: loader, kustomization: kustomization, directory: directory).apply(to: &resources)
    }

    private func applyNamespace(_ namespace: String, to resources: inout [Resource]) {
        for index in resources.indices {
            let kind = resources[index].kind
            if !ClusterScope.isClusterScoped(kind) {
                let old = resources[index].namespace
                if old != namespace {
                    resources[index].previousNamespaces.append(old)
                    resources[index].object.set(path: ["metadata", "namespace"], to: .string(namespace))
                }
            }
            if kind == "RoleBinding" || kind == "ClusterRoleBinding" {
                guard var subjects = resources[index].object[path: ["subjects"]]?.arrayValue else { continue }
                for s in subjects.indices where subjects[s]["kind"]?.stringValue == "ServiceAccount" {
                    let current = subjects[s]["namespace"]?.stringValue
                    if subjects[s]["name"]?.stringValue == "default" && current != namespace {
                        subjects[s]["namespace"] = .string(namespace)
                    }
                }
                resources[index].object.set(path: ["subjects"], to: .array(subjects))
            }
        }
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

    private func applyPrefixSuffix(prefix: String, suffix: String, to resources: inout [Resource]) {
        guard !prefix.isEmpty || !suffix.isEmpty else { return }
        for index in resources.indices where !Self.prefixSkipped.contains(resources[index].kind) {
            resources[index].rename(prefix + resources[index].name + suffix)
            if !prefix.isEmpty {
                for spec in crds.prefixes where spec.applies(to: resources[index]) {
                    spec.visit(&resources[index].object) { value in
                        if let text = value?.stringValue { value = .string(prefix + text) }
                    }
                }
            }
            if !prefix.isEmpty { resources[index].prefixes.append(prefix) }
            if !suffix.isEmpty { resources[index].suffixes.append(suffix) }
        }
    }

    private func applyLabels(to resources: inout [Resource]) throws(KustomizeError) {
        let file = kustomization.file
        var groups: [([(String, String)], [FieldSpec])] = []
        let common = try kustomization.stringMap("commonLabels")
        if !common.isEmpty {
            groups.append(
                (
                    common,
                    DefaultFieldSpecs.metadataLabels + DefaultFieldSpecs.selectorLabels
                        + DefaultFieldSpecs.templateLabels + crds.labels
                ))
        }
        for entry in try kustomization.objects("labels") {
            let pairs = try Kustomization.stringMap(entry["pairs"], file: file, field: "labels.pairs")
            var specs = DefaultFieldSpecs.metadataLabels
            if entry["includeSelectors"]?.boolValue == true {
                specs += DefaultFieldSpecs.selectorLabels + DefaultFieldSpecs.templateLabels + crds.labels
            } else if entry["includeTemplates"]?.boolValue == true {
                specs += DefaultFieldSpecs.templateLabels
            }
            for extra in entry["fields"]?.arrayValue ?? [] {
                guard let path = extra["path"]?.stringValue else { continue }
                specs.append(
                    FieldSpec(
                        path, kind: extra["kind"]?.stringValue, group: extra["group"]?.stringValue,
                        create: extra["create"]?.boolValue ?? false))
            }
            groups.append((pairs, specs))
        }
        for (pairs, specs) in groups {
            Self.setMapEntries(pairs, specs: specs, on: &resources)
        }
    }

    private func applyAnnotations(to resources: inout [Resource]) throws(KustomizeError) {
        let pairs = try kustomization.stringMap("commonAnnotations")
        guard !pairs.isEmpty else { return }
        Self.setMapEntries(pairs, specs: DefaultFieldSpecs.annotations + crds.annotations, tag: "annotations", on: &resources)
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
                    let place = spec.path.joined(separator: "/")
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
            for index in resources.indices where resources[index].allNames.contains(name) {
                guard Self.scalable.contains(resources[index].kind) else { continue }
                resources[index].object.set(path: ["spec", "replicas"], to: .integer(count))
            }
        }
    }

    static let scalable: Set<String> = ["Deployment", "ReplicaSet", "StatefulSet", "ReplicationController"]
}
