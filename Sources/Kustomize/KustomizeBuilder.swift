import Foundation
import KubeCore

/// Limits and switches for a build.
public struct KustomizeOptions: Sendable {
    /// The largest file read, in bytes. Default 8 MiB: larger manifests are almost always a mistake.
    public var maxFileSize: Int
    /// The bound on YAML nodes per file after alias expansion. Default 1,000,000 (stops "billion laughs").
    public var maxYAMLNodes: Int
    /// The deepest chain of nested kustomizations. Default 64.
    public var maxDepth: Int
    /// Which files a kustomization may read. Default `.rootOnly`, as `kubectl kustomize`; Flux (and Petrel's
    /// controller) use `.none`, which lets an overlay read `../shared/patch.yaml` inside the build root.
    public var loadRestrictor: LoadRestrictor = .rootOnly
    /// The most resources one build may load from files, generate or take from included bases, a base counting
    /// again each time it is included (its objects are transformed again at every level). Default 100,000: a
    /// tree of directories that each include the next level twice doubles at every level.
    public var maxResources: Int
    /// The most YAML nodes (after alias expansion) one build may parse, over all files and re-reads. Default
    /// 4,000,000.
    public var maxTotalYAMLNodes: Int
    /// The most bytes one build may read, over all files and re-reads. Default 64 MiB.
    public var maxTotalBytes: Int
    /// The longest one build may run; nil (the default) for no limit. Checked at every file read, include and
    /// transformer step; past it the build stops with ``KustomizeError/buildTimedOut(path:limit:)``.
    public var timeLimit: Duration?

    /// Options with the defaults above.
    public init(
        maxFileSize: Int = 8 << 20, maxYAMLNodes: Int = 1_000_000, maxDepth: Int = 64, maxResources: Int = 100_000,
        maxTotalYAMLNodes: Int = 4_000_000, maxTotalBytes: Int = 64 << 20, timeLimit: Duration? = nil
    ) {
        self.maxFileSize = maxFileSize
        self.maxYAMLNodes = maxYAMLNodes
        self.maxDepth = maxDepth
        self.maxResources = maxResources
        self.maxTotalYAMLNodes = maxTotalYAMLNodes
        self.maxTotalBytes = maxTotalBytes
        self.timeLimit = timeLimit
    }
}

/// Builds a kustomization into a list of manifests, as `kustomize build` does, without network or processes.
public struct KustomizeBuilder: Sendable {
    /// The limits for this builder.
    public var options: KustomizeOptions

    /// A builder with these options.
    public init(_ options: KustomizeOptions = KustomizeOptions()) {
        self.options = options
    }

    /// Builds the kustomization at `path` inside `root`.
    ///
    /// A directory without a kustomization file is built as if its kustomization listed every manifest
    /// under it (subdirectories with their own kustomization are included as a whole), as Flux does.
    ///
    /// - Parameters:
    ///   - root: The directory the build is confined to; nothing outside it is read.
    ///   - path: The kustomization directory, relative to `root`.
    /// - Returns: The manifests in kustomize's legacy order.
    /// - Throws: `KustomizeError` naming the file and field at fault.
    public func build(root: URL, path: String) throws(KustomizeError) -> [JSONValue] {
        try build(root: root, path: path, overrides: KustomizationOverrides())
    }

    /// Builds the kustomization at `path` inside `root` with a Flux `Kustomization`'s overrides.
    ///
    /// The overrides are written into the path's kustomization (or the one generated for a directory without a
    /// kustomization file, listing every `.yaml`/`.yml` manifest and every subdirectory with a kustomization)
    /// exactly as Flux's kustomize-controller writes them, then the result is built; `commonMetadata` is set on
    /// every object's metadata last.
    ///
    /// - Parameters:
    ///   - root: The directory the build is confined to (the source artifact); nothing outside it is read.
    ///   - path: The directory to build, relative to `root` (Flux `spec.path`).
    ///   - overrides: The Kustomization's overrides.
    /// - Returns: The manifests in kustomize's legacy order.
    /// - Throws: `KustomizeError` naming the file and field at fault.
    public func build(root: URL, path: String, overrides: KustomizationOverrides) throws(KustomizeError)
        -> [JSONValue]
    {
        try BuildMeter(options: options).bind { () throws(KustomizeError) in
            try metredBuild(root: root, path: path, overrides: overrides)
        }
    }

    /// ``build(root:path:overrides:)`` with the meter bound to this thread.
    private func metredBuild(root: URL, path: String, overrides: KustomizationOverrides) throws(KustomizeError)
        -> [JSONValue]
    {
        let loader = try Loader(root: root, maxFileSize: options.maxFileSize, restrictor: options.loadRestrictor)
        let directory = try loader.resolve(path.isEmpty ? "." : path, from: loader.root)
        guard loader.isDirectory(directory) else { throw .fileNotFound(path: path) }
        var context = BuildContext(loader: loader, options: options)
        var accumulation = try context.buildDirectory(
            directory, stack: [], allowGenerated: true, allowComponent: true, overrides: overrides)
        try BuildMeter.current?.checkTime(path)
        BuiltinPlugins.addHashSuffixes(to: &accumulation.resources)
        NameReferences.fix(&accumulation.resources, extraRules: accumulation.config.extraNameReferenceRules)
        try accumulation.resolveVars()
        try BuildMeter.current?.checkTime(path)
        // Objects annotated `config.kubernetes.io/local-config` (other than "false") serve the build only.
        accumulation.resources.removeAll { resource in
            resource.object[path: ["metadata", "annotations", "config.kubernetes.io/local-config"]]
                .map { $0.stringValue != "false" } ?? false
        }
        var objects = Ordering.legacySorted(accumulation.resources).map(\.object)
        overrides.applyCommonMetadata(to: &objects)
        return objects
    }

    /// The YAML stream kustomize would print for `documents`.
    public func render(_ documents: [JSONValue]) -> String {
        YAMLWriter.render(documents)
    }
}
