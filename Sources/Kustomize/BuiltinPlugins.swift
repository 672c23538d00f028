import KubeCore

/// Builtin plugin configurations (`apiVersion: builtin`) listed under `generators` and `transformers`, run as
/// kustomize runs them: each kind is the engine behind a kustomization field, configured by the whole object.
///
/// Exec, Go and KRM-function plugins (any other `apiVersion`) and the Helm chart inflator are refused with an
/// error naming the field: they would run programs from the source.
struct BuiltinPlugins {
    let loader: Loader
    /// The kustomization listing the plugins: paths in a configuration are relative to its directory.
    let kustomization: Kustomization
    let directory: String

    static let generatorKinds: Set<String> = ["ConfigMapGenerator", "SecretGenerator", "IAMPolicyGenerator"]
    static let transformerKinds: Set<String> = [
        "AnnotationsTransformer", "HashTransformer", "ImageTagTransformer", "LabelTransformer", "NamespaceTransformer",
        "PatchJson6902Transformer", "PatchStrategicMergeTransformer", "PatchTransformer", "PrefixSuffixTransformer",
        "PrefixTransformer", "SuffixTransformer", "ReplacementTransformer", "ReplicaCountTransformer",
        "ValueAddTransformer",
    ]

    private var file: String { kustomization.file }

    /// The plugin kind of a configuration, after checking it is a builtin one usable under `field`.
    func kind(of config: JSONValue, field: String) throws(KustomizeError) -> String {
        let kind = config["kind"]?.stringValue ?? ""
        guard config["apiVersion"]?.stringValue == "builtin" else {
            throw .unsupported(
                file: file, field: field,
                detail: "plugin '\(config["apiVersion"]?.stringValue ?? "")/\(kind)' is not builtin; "
                    + "exec, Go and KRM function plugins are not run (only 'apiVersion: builtin')")
        }
        if kind == "HelmChartInflationGenerator" {
            throw .unsupported(
                file: file, field: field, detail: "Helm charts are not inflated; render the chart into manifests first")
        }
        let known = field == "generators" ? Self.generatorKinds : Self.transformerKinds
        guard known.contains(kind) else {
            let role = field == "generators" ? "generator" : "transformer"
            throw .invalidField(file: file, field: field, detail: "builtin plugin '\(kind)' is not a \(role)")
        }
        return kind
    }

    /// Runs one generator configuration, adding (or merging) what it generates.
    func generate(_ config: JSONValue, into resources: inout [Resource]) throws(KustomizeError) {
        switch try kind(of: config, field: "generators") {
        case "ConfigMapGenerator":
            try generateKeyValues(config, kind: "ConfigMap", into: &resources)
        case "SecretGenerator":
            try generateKeyValues(config, kind: "Secret", into: &resources)
        default:
            try BuildContext.append([try IAMPolicy.generate(config, file: file)], to: &resources)
        }
    }

    /// ConfigMapGenerator and SecretGenerator: the arguments of a `configMapGenerator` entry at the top level,
    /// with `metadata.name` and `metadata.namespace` as defaults for `name` and `namespace`.
    private func generateKeyValues(_ config: JSONValue, kind: String, into resources: inout [Resource])
        throws(KustomizeError)
    {
        var spec = config
        for key in ["name", "namespace"] where (spec[key]?.stringValue ?? "").isEmpty {
            if let value = config[path: ["metadata", key]] { spec.set(path: [key], to: value) }
        }
        let field = kind == "ConfigMap" ? "configMapGenerator" : "secretGenerator"
        var synthetic = JSONObject()
        synthetic[field] = .array([spec])
        var generators = Generators(
            loader: loader, kustomization: Kustomization(file: file, object: .object(synthetic)), directory: directory)
        try generators.run(into: &resources)
    }

    /// Runs one transformer configuration on every resource.
    func transform(_ config: JSONValue, on resources: inout [Resource]) throws(KustomizeError) {
        switch try kind(of: config, field: "transformers") {
        case "LabelTransformer":
            let pairs = try scalarMap(config["labels"], field: "transformers.labels")
            Transformers.setMapEntries(pairs, specs: try specs(config), tag: "labels", on: &resources)
        case "AnnotationsTransformer":
            let pairs = try scalarMap(config["annotations"], field: "transformers.annotations")
            Transformers.setMapEntries(pairs, specs: try specs(config), tag: "annotations", on: &resources)
        case "NamespaceTransformer":
            try transformNamespace(config, on: &resources)
        case "PrefixSuffixTransformer", "PrefixTransformer", "SuffixTransformer":
            guard config["fieldSpecs"].map({ !$0.isNull }) == true else {
                throw .invalidField(file: file, field: "transformers", detail: "fieldSpecs is not expected to be nil")
            }
            Transformers.applyPrefixSuffix(
                prefix: config["prefix"]?.stringValue ?? "", suffix: config["suffix"]?.stringValue ?? "",
                specs: try specs(config), to: &resources)
        case "ReplicaCountTransformer":
            try transformReplicas(config, on: &resources)
        case "ImageTagTransformer":
            try Images.apply(
                [config["imageTag"] ?? .object(JSONObject())], file: file, specs: try specs(config), to: &resources)
        case "HashTransformer":
            Self.addHashSuffixes(to: &resources)
        case "ValueAddTransformer":
            try ValueAdd(loader: loader, file: file, directory: directory).apply(config, to: &resources)
        default:
            try transformWithField(config, on: &resources)
        }
    }

    /// A map of scalars as strings: a plugin's Go type is `map[string]string`, which its YAML decoder fills from
    /// numbers and booleans too.
    private func scalarMap(_ value: JSONValue?, field: String) throws(KustomizeError) -> [(String, String)] {
        guard let value, !value.isNull else { return [] }
        guard let members = value.objectValue else {
            throw .invalidField(file: file, field: field, detail: "expected a map of strings")
        }
        var pairs: [(String, String)] = []
        for (key, member) in members {
            guard member.objectValue == nil, member.arrayValue == nil else {
                throw .invalidField(file: file, field: "\(field).\(key)", detail: "expected a string value")
            }
            pairs.append((key, member.isNull ? "" : ContentHash.scalarText(member)))
        }
        return pairs
    }

    private func specs(_ config: JSONValue) throws(KustomizeError) -> [FieldSpec] {
        try FieldSpec.list(config["fieldSpecs"], file: file, field: "transformers.fieldSpecs")
    }

    private func transformNamespace(_ config: JSONValue, on resources: inout [Resource]) throws(KustomizeError) {
        let given = config["setRoleBindingSubjects"]?.stringValue ?? ""
        guard let mode = given.isEmpty ? .defaultOnly : Transformers.SubjectMode(rawValue: given) else {
            throw .invalidField(
                file: file, field: "transformers.setRoleBindingSubjects",
                detail: "'\(given)' must be one of defaultOnly, none or allServiceAccounts")
        }
        let namespace = config[path: ["metadata", "namespace"]]?.stringValue ?? ""
        Transformers.applyNamespace(
            namespace, specs: try specs(config), unsetOnly: config["unsetOnly"]?.boolValue ?? false, subjects: mode,
            to: &resources)
        try Transformers.checkUnique(resources, field: "transformers", file: file)
    }

    private func transformReplicas(_ config: JSONValue, on resources: inout [Resource]) throws(KustomizeError) {
        let name = config[path: ["replica", "name"]]?.stringValue ?? ""
        let count = config[path: ["replica", "count"]]?.integerValue ?? 0
        let specs = try specs(config)
        guard Transformers.setReplicas(name: name, count: count, specs: specs, on: &resources) else {
            throw .invalidField(
                file: file, field: "transformers",
                detail: "ReplicaCountTransformer: no resource named '\(name)' matches its fieldSpecs")
        }
    }

    /// The plugins whose configuration is one entry of a kustomization field: run through that field's engine.
    private func transformWithField(_ config: JSONValue, on resources: inout [Resource]) throws(KustomizeError) {
        var synthetic = JSONObject()
        var entry = config
        for key in ["apiVersion", "kind", "metadata"] { entry.set(path: [key], to: nil) }
        switch config["kind"]?.stringValue {
        case "PatchTransformer":
            synthetic["patches"] = .array([entry])
        case "PatchStrategicMergeTransformer":
            var items = config["paths"]?.arrayValue ?? []
            if let inline = config["patches"]?.stringValue, !inline.isEmpty { items.append(.string(inline)) }
            guard !items.isEmpty else {
                throw .invalidField(
                    file: file, field: "transformers", detail: "empty file path and empty patch content")
            }
            synthetic["patchesStrategicMerge"] = .array(items)
        case "PatchJson6902Transformer":
            guard config[path: ["target", "name"]]?.stringValue?.isEmpty == false else {
                throw .invalidField(
                    file: file, field: "transformers", detail: "PatchJson6902Transformer must specify the target name")
            }
            if let operations = config["jsonOp"] { entry["patch"] = operations }
            synthetic["patchesJson6902"] = .array([entry])
        default:
            synthetic["replacements"] = config["replacements"] ?? .array([])
        }
        let kustomization = Kustomization(file: file, object: .object(synthetic))
        let patches = Patches(loader: loader, kustomization: kustomization, directory: directory)
        try patches.applyStrategicMergeFiles(to: &resources)
        try patches.applyPatches(to: &resources)
        try patches.applyJSON6902(to: &resources)
        try Replacements(loader: loader, kustomization: kustomization, directory: directory).apply(to: &resources)
    }

    /// HashTransformer, also run once at the end of every build: appends the content hash to the name of each
    /// generated object that wants one. The object still wants one afterwards, so a HashTransformer listed under
    /// `transformers` makes kustomize append the hash twice; so does Petrel.
    static func addHashSuffixes(to resources: inout [Resource]) {
        for index in resources.indices where resources[index].needsHashSuffix {
            if let suffix = ContentHash.suffix(for: resources[index].object) {
                resources[index].rename(resources[index].name + "-" + suffix)
            }
        }
    }
}
