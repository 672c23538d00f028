import Foundation
import KubeCore

/// The state of one build: the loader and the chain of directories being built (to catch cycles).
struct BuildContext {
    let loader: Loader
    let options: KustomizeOptions

    init(loader: Loader, options: KustomizeOptions) {
        self.loader = loader
        self.options = options
    }

    /// Builds a directory holding a kustomization (or, if `allowGenerated`, one without; if `allowComponent`, a
    /// Component), after writing `overrides` into its kustomization as Flux does.
    mutating func buildDirectory(
        _ directory: String, stack: [String], allowGenerated: Bool, allowComponent: Bool = false,
        overrides: KustomizationOverrides = KustomizationOverrides()
    ) throws(KustomizeError) -> Accumulation {
        if stack.contains(directory) { throw .cycle(path: loader.relative(directory)) }
        if stack.count >= options.maxDepth { throw .cycle(path: loader.relative(directory)) }
        var accumulation = Accumulation()
        let kustomization: Kustomization
        if let file = try loader.kustomizationFile(in: directory) {
            if overrides.isEmpty {
                kustomization = try Kustomization.load(file, loader: loader)
            } else {
                let raw = try Kustomization.read(file, loader: loader)
                kustomization = try Kustomization.parse(
                    try overrides.applied(
                        to: raw, file: loader.relative(file), componentExists: { exists($0, in: directory) }),
                    file: loader.relative(file))
            }
        } else {
            guard allowGenerated else {
                throw .fileNotFound(path: loader.relative(directory) + "/kustomization.yaml")
            }
            let file = loader.relative(directory + "/kustomization.yaml")
            let generated = try generatedKustomization(directory)
            kustomization = try Kustomization.parse(
                try overrides.applied(to: generated, file: file, componentExists: { exists($0, in: directory) }),
                file: file)
        }
        // A Component is built like a Kustomization when it is the build's own directory, never as a resource.
        if kustomization.isComponent && !allowComponent {
            throw .invalidField(
                file: kustomization.file, field: "kind",
                detail: "a Component can only be listed under 'components', not built or used as a resource")
        }
        try accumulate(kustomization, directory: directory, into: &accumulation, stack: stack + [directory])
        try BuildMeter.current?.charge(resources: accumulation.resources.count, path: loader.relative(directory))
        return accumulation
    }

    private func exists(_ relative: String, in directory: String) -> Bool {
        (try? loader.resolve(relative, from: directory)) != nil
    }

    /// Flux's kustomization for a directory without one: every `.yaml`/`.yml` file below it, and every
    /// subdirectory holding a kustomization (not descended into), in walk order. Names starting with `.` are skipped.
    func generatedKustomization(_ directory: String) throws(KustomizeError) -> JSONValue {
        var entries: [JSONValue] = []
        try collectManifests(directory, prefix: ".", into: &entries)
        var object = JSONObject()
        object["apiVersion"] = "kustomize.config.k8s.io/v1beta1"
        object["kind"] = "Kustomization"
        object["resources"] = .array(entries)
        return .object(object)
    }

    private func collectManifests(_ directory: String, prefix: String, into entries: inout [JSONValue])
        throws(KustomizeError)
    {
        for name in loader.list(directory) where !name.hasPrefix(".") {
            let path = try loader.resolve(name, from: directory)
            let relative = prefix + "/" + name
            if loader.isDirectory(path) {
                if try loader.kustomizationFile(in: path) != nil {
                    entries.append(.string(relative))
                } else {
                    try collectManifests(path, prefix: relative, into: &entries)
                }
            } else if name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
                entries.append(.string(relative))
            }
        }
    }

    /// Applies one kustomization (or component) to `resources`.
    mutating func accumulate(
        _ kustomization: Kustomization, directory: String, into accumulation: inout Accumulation, stack: [String]
    ) throws(KustomizeError) {
        for entry in try kustomization.resources {
            try addResource(
                entry, kustomization: kustomization, directory: directory, into: &accumulation, stack: stack)
        }
        try accumulation.mergeConfigurations(of: kustomization, directory: directory, loader: loader)
        var generators = Generators(loader: loader, kustomization: kustomization, directory: directory)
        try generators.run(into: &accumulation.resources)
        let plugins = BuiltinPlugins(loader: loader, kustomization: kustomization, directory: directory)
        for config in try pluginConfigs("generators", of: kustomization, directory: directory, stack: stack) {
            try plugins.generate(config, into: &accumulation.resources)
        }
        for entry in try kustomization.components {
            let path = try loader.resolve(entry, from: directory)
            guard loader.isDirectory(path), let file = try loader.kustomizationFile(in: path) else {
                throw .invalidField(
                    file: kustomization.file, field: "components",
                    detail: "'\(entry)' is not a directory with a kustomization")
            }
            if stack.contains(path) { throw .cycle(path: loader.relative(path)) }
            let component = try Kustomization.load(file, loader: loader)
            guard component.isComponent else {
                throw .invalidField(
                    file: component.file, field: "kind", detail: "expected kind Component for an entry of 'components'")
            }
            try accumulate(component, directory: path, into: &accumulation, stack: stack + [path])
        }
        var transformers = Transformers(
            loader: loader, kustomization: kustomization, directory: directory, config: accumulation.config)
        try BuildMeter.current?.checkTime(kustomization.file)
        try transformers.run(on: &accumulation.resources)
        for config in try pluginConfigs("transformers", of: kustomization, directory: directory, stack: stack) {
            try plugins.transform(config, on: &accumulation.resources)
        }
        try accumulation.mergeVars(of: kustomization)
        try BuildMeter.current?.checkTime(kustomization.file)
    }

    private mutating func addResource(
        _ entry: String, kustomization: Kustomization, directory: String, into accumulation: inout Accumulation,
        stack: [String]
    ) throws(KustomizeError) {
        if Kustomization.isRemote(entry) {
            throw .unsupported(
                file: kustomization.file, field: "resources",
                detail: "remote resource '\(entry)'; vendor it into the source instead")
        }
        let path = try loader.resolve(entry, from: directory)
        if loader.isDirectory(path) {
            let built = try buildDirectory(path, stack: stack, allowGenerated: false)
            try accumulation.absorb(built, file: kustomization.file)
        } else {
            try loader.checkRestriction(path, directory: directory)
            let loaded = try loadManifests(path)
            try BuildMeter.current?.charge(resources: loaded.count, path: loader.relative(path))
            try Self.append(loaded, to: &accumulation.resources)
        }
    }

    /// Reads the manifests in one file, expanding `List` kinds.
    func loadManifests(_ path: String) throws(KustomizeError) -> [Resource] {
        let file = loader.relative(path)
        let documents = try YAMLCodec.parseStream(try loader.readText(path), file: file, maxNodes: options.maxYAMLNodes)
        var result: [Resource] = []
        for document in documents {
            guard document.objectValue != nil else {
                throw .invalidField(file: file, field: "(document)", detail: "a manifest must be a mapping")
            }
            if let kind = document["kind"]?.stringValue, kind.hasSuffix("List"),
                let items = document["items"]?.arrayValue
            {
                for item in items { result.append(try Self.validated(item, file: file)) }
            } else {
                result.append(try Self.validated(document, file: file))
            }
        }
        return result
    }

    private static func validated(_ object: JSONValue, file: String) throws(KustomizeError) -> Resource {
        guard object["kind"]?.stringValue?.isEmpty == false else {
            throw .invalidField(file: file, field: "kind", detail: "missing kind in a manifest")
        }
        guard object[path: ["metadata", "name"]]?.stringValue?.isEmpty == false else {
            throw .invalidField(file: file, field: "metadata.name", detail: "missing metadata.name in a manifest")
        }
        return Resource(object: object, file: file)
    }

    /// Appends resources, refusing duplicate ids.
    static func append(_ new: [Resource], to resources: inout [Resource]) throws(KustomizeError) {
        var seen = Set(resources.map(\.identityKey))
        for resource in new {
            guard seen.insert(resource.identityKey).inserted else {
                throw .duplicateResource(id: resource.id, file: resource.file)
            }
            resources.append(resource)
        }
    }
}
