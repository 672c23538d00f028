/// Why a kustomize build failed.
///
/// Every case names the file (relative to the build root) and, where it helps, the field or line.
public enum KustomizeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A path leaves the build root (directly, through `..`, or through a symlink).
    case pathEscapesRoot(path: String)
    /// A file named by a kustomization is outside its directory under the `rootOnly` load restrictor.
    case loadRestricted(path: String, directory: String)
    /// A file or directory named by a kustomization does not exist.
    case fileNotFound(path: String)
    /// A file is larger than the configured bound.
    case fileTooLarge(path: String, limit: Int)
    /// A YAML file cannot be parsed.
    case malformedYAML(file: String, line: Int?, detail: String)
    /// YAML alias expansion or nesting exceeded the configured bound.
    case yamlTooComplex(file: String)
    /// A kustomization or resource field has an invalid value.
    case invalidField(file: String, field: String, detail: String)
    /// The kustomization uses a feature this engine refuses (remote resources, plugins, helm, vars).
    case unsupported(file: String, field: String, detail: String)
    /// Two resources share group, version, kind, namespace and name.
    case duplicateResource(id: String, file: String)
    /// A patch or replacement selects nothing or cannot be applied.
    case patchFailed(file: String, detail: String)
    /// Resources include each other in a cycle.
    case cycle(path: String)
    /// The build as a whole went over one of its totals (``KustomizeOptions``), at `path`.
    case buildTooLarge(path: String, what: String, limit: Int)
    /// The build ran longer than ``KustomizeOptions/timeLimit``; `path` is what it was doing then.
    case buildTimedOut(path: String, limit: Duration)

    /// A short CamelCase reason, bounded, for conditions and metric labels.
    public var reason: String {
        switch self {
        case .pathEscapesRoot: "PathEscapesRoot"
        case .loadRestricted: "LoadRestricted"
        case .fileNotFound: "FileNotFound"
        case .fileTooLarge: "FileTooLarge"
        case .malformedYAML: "MalformedYAML"
        case .yamlTooComplex: "YAMLTooComplex"
        case .invalidField: "InvalidField"
        case .unsupported: "Unsupported"
        case .duplicateResource: "DuplicateResource"
        case .patchFailed: "PatchFailed"
        case .cycle: "Cycle"
        case .buildTooLarge: "BuildTooLarge"
        case .buildTimedOut: "BuildTimedOut"
        }
    }

    /// A human message saying what is wrong and how to fix it.
    public var message: String {
        switch self {
        case .pathEscapesRoot(let path):
            "path '\(path)' leaves the build root; keep every resource, patch and file inside the source"
        case .loadRestricted(let path, let directory):
            "file '\(path)' is not in or below '\(directory)', the kustomization's directory; move it there, or "
                + "build with --load-restrictor LoadRestrictionsNone (as Flux does)"
        case .fileNotFound(let path):
            "'\(path)' does not exist; fix the path in the kustomization"
        case .fileTooLarge(let path, let limit):
            "'\(path)' is larger than \(limit) bytes; split it or raise the limit"
        case .malformedYAML(let file, let line, let detail):
            "'\(file)'\(line.map { " line \($0)" } ?? ""): invalid YAML: \(detail)"
        case .yamlTooComplex(let file):
            "'\(file)': YAML alias expansion or nesting exceeds the limit; remove recursive anchors"
        case .invalidField(let file, let field, let detail):
            "'\(file)': field '\(field)': \(detail)"
        case .unsupported(let file, let field, let detail):
            "'\(file)': field '\(field)' is not supported: \(detail)"
        case .duplicateResource(let id, let file):
            "'\(file)': may not add resource with an already registered id: \(id); rename one of them"
        case .patchFailed(let file, let detail):
            "'\(file)': failed to apply patch: \(detail)"
        case .cycle(let path):
            "'\(path)': kustomizations include each other in a cycle; break the cycle"
        case .buildTooLarge(let path, let what, let limit):
            "'\(path)': the build went over its limit of \(limit) \(what) (a base counts each time it is included); "
                + "a base included from many places multiplies its objects: include each base once"
        case .buildTimedOut(let path, let limit):
            "'\(path)': the build ran longer than its \(limit) limit and was stopped; "
                + "split the kustomization or look for a base included from many places"
        }
    }

    public var description: String { message }
}
