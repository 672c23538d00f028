import KubeCore

/// What building a kustomization yields, as kustomize's resource accumulator: the resources, the transformer
/// configuration its transformers used (its own `configurations` and `crds` merged with those of everything it
/// accumulated), and the vars declared in it and below it.
struct Accumulation {
    var resources: [Resource] = []
    var config = TransformerConfig.defaults
    var vars: [Var] = []

    /// Adds a built resource directory: its resources (refusing duplicate ids), configuration and vars.
    mutating func absorb(_ other: Accumulation, file: String) throws(KustomizeError) {
        try BuildContext.append(other.resources, to: &resources)
        config = try config.merged(with: other.config, file: file)
        for variable in other.vars { try add(variable, file: file) }
    }

    /// Merges the `configurations` files and `crds` definitions of `kustomization`.
    mutating func mergeConfigurations(of kustomization: Kustomization, directory: String, loader: Loader)
        throws(KustomizeError)
    {
        for entry in try kustomization.strings("configurations") {
            let path = try loader.resolveFile(entry, from: directory)
            let file = loader.relative(path)
            config = try config.merged(with: try TransformerConfig.parse(try loader.readText(path), file: file), file: file)
        }
        for entry in try kustomization.strings("crds") {
            let path = try loader.resolveFile(entry, from: directory)
            let file = loader.relative(path)
            config = try config.merged(with: try CRDConfig.parse(try loader.readText(path), file: file), file: file)
        }
    }

    /// Records the `vars` of `kustomization`: each is tied to the one resource its `objref` names now (by any of
    /// its names), and a name declared twice in the build is refused.
    mutating func mergeVars(of kustomization: Kustomization) throws(KustomizeError) {
        for item in try kustomization.objects("vars") {
            let variable = try Var.parse(item, file: kustomization.file)
            let matches = resources.indices.filter { variable.target.matches(resources[$0]) }
            if matches.count > 1 {
                throw .invalidField(
                    file: kustomization.file, field: "vars",
                    detail: "found \(matches.count) resources matching the objref of var '\(variable.name)' "
                        + "(unable to disambiguate); add a namespace to the objref")
            }
            if let index = matches.first { resources[index].varNames.append(variable.name) }
            try add(variable, file: kustomization.file)
        }
    }

    private mutating func add(_ variable: Var, file: String) throws(KustomizeError) {
        guard !vars.contains(where: { $0.name == variable.name }) else {
            throw .invalidField(
                file: file, field: "vars", detail: "var '\(variable.name)' already encountered; rename one of them")
        }
        vars.append(variable)
    }

    /// Replaces `$(NAME)` in the var-reference fields of every resource with each var's value.
    mutating func resolveVars() throws(KustomizeError) {
        guard !vars.isEmpty else { return }
        var values: [String: JSONValue] = [:]
        for variable in vars {
            values[variable.name] = try variable.value(in: resources)
        }
        let replacer = VarReplacer(values: values)
        for index in resources.indices {
            for spec in config.varReference where spec.applies(to: resources[index]) {
                try replacer.apply(spec, to: &resources[index])
            }
        }
    }
}
