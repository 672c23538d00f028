import KubeCore

/// One printer column of a resource's Table output.
struct PrinterColumn: Sendable, Hashable {
    var name: String
    var type: String
    var jsonPath: String
    var description: String = ""
    var priority: Int = 0
    var format: String = ""
}

/// A served resource: its names, scope, verbs and, for custom resources, schema and printer columns.
struct ResourceType: Sendable, Hashable {
    var group: String
    var version: String
    var kind: String
    var plural: String
    var singular: String
    var namespaced: Bool
    var shortNames: [String] = []
    var categories: [String] = []
    var hasStatus: Bool = false
    var printerColumns: [PrinterColumn] = []
    var schema: JSONValue? = nil
    var isCustom: Bool = false

    /// Whether objects carry `metadata.generation` (kinds with a spec do; ConfigMaps, Secrets, RBAC and the like
    /// do not, as on a real server).
    var tracksGeneration: Bool {
        isCustom || ["apps", "batch", "networking.k8s.io", "autoscaling", "apiextensions.k8s.io"].contains(group)
    }

    var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    var listKind: String { kind + "List" }
    /// The storage key shared by every version of the resource.
    var key: String { "\(group)/\(plural)" }
    var qualifiedPlural: String { group.isEmpty ? plural : "\(plural).\(group)" }
    var qualifiedKind: String { group.isEmpty ? kind : "\(kind).\(group)" }

    static let verbs: [JSONValue] = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

    /// The discovery `APIResource` entries (the resource and its status subresource).
    var discoveryEntries: [JSONValue] {
        var main: JSONObject = JSONObject()
        main["name"] = .string(plural)
        main["singularName"] = .string(singular)
        main["namespaced"] = .bool(namespaced)
        main["kind"] = .string(kind)
        main["verbs"] = .array(Self.verbs)
        if !shortNames.isEmpty { main["shortNames"] = .array(shortNames.map { .string($0) }) }
        if !categories.isEmpty { main["categories"] = .array(categories.map { .string($0) }) }
        var entries: [JSONValue] = [.object(main)]
        if hasStatus {
            entries.append([
                "name": .string("\(plural)/status"), "singularName": "", "namespaced": .bool(namespaced),
                "kind": .string(kind), "verbs": ["get", "patch", "update"],
            ])
        }
        return entries
    }
}

extension ResourceType {
    private static func core(
        _ kind: String, _ plural: String, namespaced: Bool = true, short: [String] = [], all: Bool = false,
        status: Bool = false
    ) -> ResourceType {
        ResourceType(
            group: "", version: "v1", kind: kind, plural: plural, singular: kind.lowercased(), namespaced: namespaced,
            shortNames: short, categories: all ? ["all"] : [], hasStatus: status)
    }

    private static func named(
        _ group: String, _ version: String, _ kind: String, _ plural: String, namespaced: Bool = true,
        short: [String] = [], all: Bool = false, status: Bool = false
    ) -> ResourceType {
        ResourceType(
            group: group, version: version, kind: kind, plural: plural, singular: kind.lowercased(),
            namespaced: namespaced, shortNames: short, categories: all ? ["all"] : [], hasStatus: status)
    }

    /// The built-in kinds every server starts with.
    static let builtIns: [ResourceType] = [
        core("Namespace", "namespaces", namespaced: false, short: ["ns"], status: true),
        core("ConfigMap", "configmaps", short: ["cm"]),
        core("Secret", "secrets"),
        core("ServiceAccount", "serviceaccounts", short: ["sa"]),
        core("Service", "services", short: ["svc"], all: true, status: true),
        core("Event", "events", short: ["ev"]),
        core("Pod", "pods", short: ["po"], all: true, status: true),
        core("PersistentVolumeClaim", "persistentvolumeclaims", short: ["pvc"], status: true),
        named("apps", "v1", "Deployment", "deployments", short: ["deploy"], all: true, status: true),
        named("apps", "v1", "StatefulSet", "statefulsets", short: ["sts"], all: true, status: true),
        named("apps", "v1", "DaemonSet", "daemonsets", short: ["ds"], all: true, status: true),
        named("apps", "v1", "ReplicaSet", "replicasets", short: ["rs"], all: true, status: true),
        named("batch", "v1", "Job", "jobs", all: true, status: true),
        named("batch", "v1", "CronJob", "cronjobs", short: ["cj"], all: true, status: true),
        named("rbac.authorization.k8s.io", "v1", "Role", "roles"),
        named("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings"),
        named("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", namespaced: false),
        named("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", namespaced: false),
        named("coordination.k8s.io", "v1", "Lease", "leases"),
        named("networking.k8s.io", "v1", "Ingress", "ingresses", short: ["ing"], status: true),
        named("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", short: ["netpol"]),
        named(
            "autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", short: ["hpa"], all: true,
            status: true),
        named("events.k8s.io", "v1", "Event", "events", short: ["ev"]),
        named(
            "apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", namespaced: false,
            short: ["crd", "crds"], status: true),
    ]

    static let crdType: ResourceType = builtIns[builtIns.count - 1]
    static let namespaceType: ResourceType = builtIns[0]
}
