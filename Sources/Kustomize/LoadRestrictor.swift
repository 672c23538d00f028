/// Which files a kustomization may read, as kustomize's `--load-restrictor` sets it.
///
/// Either way nothing outside the build root is read, and kustomization directories (bases, components) may be
/// anywhere inside it.
public enum LoadRestrictor: String, Sendable, CaseIterable {
    /// A kustomization reads only files in or below its own directory (`kubectl kustomize`'s default).
    case rootOnly = "LoadRestrictionsRootOnly"
    /// A kustomization reads any file inside the build root (what Flux's kustomize-controller sets).
    case none = "LoadRestrictionsNone"
}

extension Loader {
    /// Resolves a file (not a kustomization directory) named by the kustomization in `directory`, refusing one
    /// outside that directory when the restrictor is `rootOnly`.
    ///
    /// - Throws: `KustomizeError.loadRestricted`, or what `resolve(_:from:)` throws.
    func resolveFile(_ path: String, from directory: String) throws(KustomizeError) -> String {
        let resolved = try resolve(path, from: directory)
        try checkRestriction(resolved, directory: directory)
        return resolved
    }

    /// Refuses the resolved file `path` when the restrictor is `rootOnly` and it is outside `directory`.
    func checkRestriction(_ path: String, directory: String) throws(KustomizeError) {
        if restrictor == .rootOnly && !path.hasPrefix(directory == "/" ? "/" : directory + "/") {
            throw .loadRestricted(path: relative(path), directory: relative(directory))
        }
    }
}
