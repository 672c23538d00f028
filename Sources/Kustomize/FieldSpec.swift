import KubeCore

/// A field path in objects of some kinds, as in kustomize's transformer configurations.
///
/// Segments are separated by `/` (`\/` is a literal slash, as in annotation keys). A list met on the way is walked
/// element by element, whether or not its segment ends in `[]`, as kyaml's field-spec filter does.
struct FieldSpec: Sendable, Equatable {
    var kind: String?
    var group: String?
    var version: String?
    var path: [String]
    /// The path as written, used to compare specs and to find the field again.
    var pathText: String
    var create: Bool

    init(_ path: String, kind: String? = nil, group: String? = nil, version: String? = nil, create: Bool = false) {
        self.pathText = path
        self.path = Self.split(path)
        self.kind = kind
        self.group = group
        self.version = version
        self.create = create
    }

    /// Splits at `/`, joining a segment that ends in a backslash with the next one (kyaml's path splitter).
    static func split(_ path: String) -> [String] {
        var parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if parts.count > 1 && parts[0].isEmpty { parts.removeFirst() }
        var result: [String] = []
        for part in parts {
            if let last = result.last, last.hasSuffix("\\") {
                result[result.count - 1] = String(last.dropLast()) + "/" + part
            } else {
                result.append(part)
            }
        }
        return result
    }

    func applies(to resource: Resource) -> Bool {
        matches(resource.gvk)
    }

    /// Whether objects of `gvk` are selected (an unset kind, group or version selects any).
    func matches(_ gvk: GroupVersionKind) -> Bool {
        if let kind, !kind.isEmpty, kind != gvk.kind { return false }
        if let group, !group.isEmpty, group != gvk.group { return false }
        if let version, !version.isEmpty, version != gvk.version { return false }
        return true
    }

    /// Whether this spec is the object's own name (`metadata/name`).
    var isMetadataName: Bool { pathText == "metadata/name" }

    /// kustomize's test for a spec already in a list: the same path, and every part of `other`'s kind, group and
    /// version that is set equals this spec's.
    func effectivelyEquals(_ other: FieldSpec) -> Bool {
        guard pathText == other.pathText else { return false }
        func selects(_ mine: String?, _ theirs: String?) -> Bool {
            guard let theirs, !theirs.isEmpty else { return true }
            return (mine ?? "") == theirs
        }
        return selects(kind, other.kind) && selects(group, other.group) && selects(version, other.version)
    }

    /// Reads one field spec (`path`, and optionally `kind`, `group`, `version`, `create`); with `strict`, other keys are
    /// refused as kustomize refuses them in a configurations file.
    static func parse(_ value: JSONValue, file: String, field: String, strict: Bool) throws(KustomizeError) -> FieldSpec {
        guard let object = value.objectValue else {
            throw .invalidField(file: file, field: field, detail: "a field spec must be a map with a 'path'")
        }
        if strict, let unknown = object.keys.first(where: { !["path", "kind", "group", "version", "create"].contains($0) }) {
            throw .invalidField(file: file, field: field, detail: "unknown field '\(unknown)' in a field spec")
        }
        func text(_ key: String) throws(KustomizeError) -> String? {
            guard let member = object[key], !member.isNull else { return nil }
            guard let string = member.stringValue else {
                throw .invalidField(file: file, field: "\(field).\(key)", detail: "expected a string")
            }
            return string
        }
        var create = false
        if let flag = object["create"], !flag.isNull {
            guard let bool = flag.boolValue else {
                throw .invalidField(file: file, field: "\(field).create", detail: "expected true or false")
            }
            create = bool
        }
        return FieldSpec(
            try text("path") ?? "", kind: try text("kind"), group: try text("group"), version: try text("version"),
            create: create)
    }

    /// Calls `update` on the value at this path (creating objects along the way when `create`).
    ///
    /// - Parameter creating: `false` for transformers that never create fields whatever the spec says (kustomize's
    ///   images, name-reference and var filters).
    func visit(_ object: inout JSONValue, creating: Bool = true, _ update: (inout JSONValue?) -> Void) {
        guard !path.isEmpty else { return }
        Self.visit(&object, path: path[...], create: create && creating, update)
    }

    private static func visit(
        _ value: inout JSONValue, path: ArraySlice<String>, create: Bool, _ update: (inout JSONValue?) -> Void
    ) {
        guard let head = path.first else { return }
        if case .array(var items) = value {
            for index in items.indices { visit(&items[index], path: path, create: create, update) }
            value = .array(items)
            return
        }
        let rest = path.dropFirst()
        let isList = head.hasSuffix("[]")
        let key = isList ? String(head.dropLast(2)) : head
        guard var object = value.objectValue, !key.isEmpty else { return }
        if rest.isEmpty && !isList {
            var field = object[key]
            if field == nil && !create { return }
            update(&field)
            object[key] = field
            value = .object(object)
            return
        }
        if isList && rest.isEmpty {
            guard var items = object[key]?.arrayValue else { return }
            for index in items.indices {
                var item: JSONValue? = items[index]
                update(&item)
                items[index] = item ?? .null
            }
            object[key] = .array(items)
            value = .object(object)
            return
        }
        var child: JSONValue
        switch object[key] {
        case .some(.object), .some(.array): child = object[key] ?? .null
        case .none, .some(.null):
            guard create && !isList else { return }
            child = .object(JSONObject())
        default: return
        }
        visit(&child, path: rest, create: create, update)
        object[key] = child
        value = .object(object)
    }
}
