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

    /// Builds a directory holding a kustomization (or, if `allowGenerated`, one without).
    mutating func buildDirectory(_ directory: String, stack: [String], allowGenerated: Bool) throws(KustomizeError)
        -> [Resource]
    {
        if stack.contains(directory) { throw .cycle(path: loader.relative(directory)) }
        if stack.count >= options.maxDepth { throw .cycle(path: loader.relative(directory)) }
        var resources: [Resource] = []
        guard let file = loader.kustomizationFile(in: directory) else {
            guard allowGenerated else {
                throw .fileNotFound(path: loader.relative(directory) + "/kustomization.yaml")
            }
            try accumulateGenerated(directory, into: &resources, stack: stack + [directory])
            return resources
        }
        let kustomization = try Kustomization.load(file, loader: loader)
        if kustomization.isComponent {
            throw .invalidField(
                file: kustomization.file, field: "kind",
                detail: "a Component can only be listed under 'components', not built or used as a resource")
        }
        try accumulate(kustomization, directory: directory, into: &resources, stack: stack + [directory])
        return resources
    }

    /// Applies one kustomization (or component) to `resources`.
    mutating func accumulate(
        _ kustomization: Kustomization, directory: String, into resources: inout [Resource], stack: [String]
    ) throws(KustomizeError) {
        for entry in kustomization.resources {
            try addResource(entry, kustomization: kustomization, directory: directory, into: &resources, stack: stack)
        }
        var generators = Generators(loader: loader, kustomization: kustomization, directory: directory)
        try generators.run(into: &resources)
        for entry in kustomization.components {
            let path = try loader.resolve(entry, from: directory)
            guard loader.isDirectory(path), let file = loader.kustomizationFile(in: path) else {
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
            try accumulate(component, directory: path, into: &resources, stack: stack + [path])
        }
        var transformers = Transformers(loader: loader, kustomization: kustomization, directory: directory)
        try transformers.run(on: &resources)
    }

    private mutating func addResource(
        _ entry: String, kustomization: Kustomization, directory: String, into resources: inout [Resource],
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
            try Self.append(built, to: &resources)
        } else {
            try Self.append(try loadManifests(path), to: &resources)
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

    /// Flux's behaviour for a directory without a kustomization: every manifest below it.
    private mutating func accumulateGenerated(_ directory: String, into resources: inout [Resource], stack: [String])
        throws(KustomizeError)
    {
        for name in loader.list(directory) where !name.hasPrefix(".") {
            let path = try loader.resolve(name, from: directory)
            if loader.isDirectory(path) {
                if loader.kustomizationFile(in: path) != nil {
                    try Self.append(try buildDirectory(path, stack: stack, allowGenerated: false), to: &resources)
                } else {
                    try accumulateGenerated(path, into: &resources, stack: stack)
                }
            } else if name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
                let file = loader.relative(path)
                let documents = try YAMLCodec.parseStream(
                    try loader.readText(path), file: file, maxNodes: options.maxYAMLNodes)
                let manifests = documents.filter {
                    $0["apiVersion"]?.stringValue != nil && $0["kind"]?.stringValue != nil
                }
                var parsed: [Resource] = []
                for manifest in manifests { parsed.append(try Self.validated(manifest, file: file)) }
                try Self.append(parsed, to: &resources)
            }
        }
    }
}
