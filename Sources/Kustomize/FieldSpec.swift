import KubeCore

/// A field path in objects of some kinds, as in kustomize's transformer configurations.
///
/// A path segment ending in `[]` walks every element of a list.
struct FieldSpec: Sendable {
    var kind: String?
    var group: String?
    var version: String?
    var path: [String]
    var create: Bool

    init(_ path: String, kind: String? = nil, group: String? = nil, version: String? = nil, create: Bool = false) {
        self.path = Self.split(path)
        self.kind = kind
        self.group = group
        self.version = version
        self.create = create
    }

    func applies(to resource: Resource) -> Bool {
        if let kind, kind != resource.kind { return false }
        if let group, group != resource.gvk.group { return false }
        if let version, version != resource.gvk.version { return false }
        return true
    }

    /// Splits a `/`-separated field path, where `\/` keeps a slash inside a field name (an annotation key).
    static func split(_ path: String) -> [String] {
        var fields: [String] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: false) {
            if let last = fields.last, last.hasSuffix("\\") {
                fields[fields.count - 1] = String(last.dropLast()) + "/" + part
            } else {
                fields.append(String(part))
            }
        }
        return fields.filter { !$0.isEmpty }
    }

    /// Whether this spec is the object's own name (`metadata/name`).
    var isMetadataName: Bool { path == ["metadata", "name"] }

    /// Calls `update` on the value at this path (creating objects along the way when `create`).
    func visit(_ object: inout JSONValue, _ update: (inout JSONValue?) -> Void) {
        Self.visit(&object, path: path[...], create: create, update)
    }

    private static func visit(
        _ value: inout JSONValue, path: ArraySlice<String>, create: Bool, _ update: (inout JSONValue?) -> Void
    ) {
        guard let head = path.first else { return }
        let rest = path.dropFirst()
        let isList = head.hasSuffix("[]")
        let key = isList ? String(head.dropLast(2)) : head
        guard var object = value.objectValue else { return }
        if rest.isEmpty && !isList {
            var field = object[key]
            if field == nil && !create { return }
            update(&field)
            object[key] = field
            value = .object(object)
            return
        }
        if isList {
            guard var items = object[key]?.arrayValue else { return }
            for index in items.indices {
                if rest.isEmpty {
                    var item: JSONValue? = items[index]
                    update(&item)
                    items[index] = item ?? .null
                } else {
                    visit(&items[index], path: rest, create: create, update)
                }
            }
            object[key] = .array(items)
        } else {
            var child: JSONValue
            if let existing = object[key], existing.objectValue != nil || existing.arrayValue != nil {
                child = existing
            } else if create {
                child = .object(JSONObject())
            } else {
                return
            }
            visit(&child, path: rest, create: create, update)
            object[key] = child
        }
        value = .object(object)
    }
}

/// The field specs kustomize uses by default.
enum DefaultFieldSpecs {
    static let workloads = ["Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job", "ReplicationController"]

    /// Labels: metadata, selectors and pod templates (commonLabels, labels with includeSelectors).
    static let selectorLabels: [FieldSpec] =
        [
            FieldSpec("spec/selector", kind: "Service", group: "", create: true),
            FieldSpec("spec/selector", kind: "ReplicationController", group: "", create: true),
            FieldSpec("spec/selector/matchLabels", kind: "Deployment", create: true),
            FieldSpec("spec/selector/matchLabels", kind: "ReplicaSet", create: true),
            FieldSpec("spec/selector/matchLabels", kind: "DaemonSet", create: true),
            FieldSpec("spec/selector/matchLabels", kind: "StatefulSet", group: "apps", create: true),
            FieldSpec("spec/selector/matchLabels", kind: "Job", group: "batch", create: false),
            FieldSpec("spec/jobTemplate/spec/selector/matchLabels", kind: "CronJob", group: "batch", create: false),
            FieldSpec("spec/selector/matchLabels", kind: "PodDisruptionBudget", group: "policy", create: false),
            FieldSpec("spec/podSelector/matchLabels", kind: "NetworkPolicy", group: "networking.k8s.io", create: false),
            FieldSpec(
                "spec/ingress[]/from[]/podSelector/matchLabels", kind: "NetworkPolicy", group: "networking.k8s.io"),
            FieldSpec("spec/egress[]/to[]/podSelector/matchLabels", kind: "NetworkPolicy", group: "networking.k8s.io"),
        ] + affinity
    static let affinity: [FieldSpec] = ["Deployment", "StatefulSet"].flatMap { kind in
        [
            "spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution[]/podAffinityTerm/labelSelector/matchLabels",
            "spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution[]/labelSelector/matchLabels",
            "spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution[]/podAffinityTerm/labelSelector/matchLabels",
            "spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution[]/labelSelector/matchLabels",
            "spec/template/spec/topologySpreadConstraints[]/labelSelector/matchLabels",
        ].map { FieldSpec($0, kind: kind, group: "apps") }
    }
    static let templateLabels: [FieldSpec] =
        workloads.map { FieldSpec("spec/template/metadata/labels", kind: $0, create: true) } + [
            FieldSpec("spec/volumeClaimTemplates[]/metadata/labels", kind: "StatefulSet", group: "apps", create: true),
            FieldSpec("spec/jobTemplate/metadata/labels", kind: "CronJob", group: "batch", create: true),
            FieldSpec("spec/jobTemplate/spec/template/metadata/labels", kind: "CronJob", group: "batch", create: true),
        ]
    static let metadataLabels = [FieldSpec("metadata/labels", create: true)]
    /// namePrefix and nameSuffix.
    static let metadataName = [FieldSpec("metadata/name")]
    /// replicas.
    static let replicas = ["Deployment", "ReplicationController", "ReplicaSet", "StatefulSet"].map {
        FieldSpec("spec/replicas", kind: $0, create: true)
    }
    /// namespace, besides each namespaced object's own `metadata/namespace` (a `v1` Namespace is renamed).
    static let namespace = [
        FieldSpec("metadata/name", kind: "Namespace", create: true),
        FieldSpec("spec/service/namespace", kind: "APIService", group: "apiregistration.k8s.io", create: true),
        FieldSpec(
            "spec/conversion/webhook/clientConfig/service/namespace", kind: "CustomResourceDefinition",
            group: "apiextensions.k8s.io"),
    ]
    static let annotations: [FieldSpec] =
        [FieldSpec("metadata/annotations", create: true)]
        + workloads.map { FieldSpec("spec/template/metadata/annotations", kind: $0, create: true) } + [
            FieldSpec("spec/jobTemplate/metadata/annotations", kind: "CronJob", group: "batch", create: true),
            FieldSpec(
                "spec/jobTemplate/spec/template/metadata/annotations", kind: "CronJob", group: "batch", create: true),
        ]
}
