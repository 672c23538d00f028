import KubeCore
import PetrelAPI

/// One of the kinds the CLI works on, with what the tables show for it.
struct PetrelKind: Sendable, Hashable {
    /// `GitRepository` or `Kustomization`.
    let kind: String
    /// The plural for messages, e.g. `GitRepositories`.
    let pluralKind: String
    let apiVersion: String
    let resource: GroupVersionResource
    /// Where the revision lives in the status.
    let revisionPath: [String]
    /// The `petrel get` word for listing them.
    let listWord: String

    static let source = PetrelKind(
        kind: GitRepository.kind, pluralKind: "GitRepositories", apiVersion: GitRepository.apiVersion,
        resource: GitRepository.groupVersionResource, revisionPath: ["status", "artifact", "revision"],
        listWord: "sources")
    static let kustomization = PetrelKind(
        kind: Kustomization.kind, pluralKind: "Kustomizations", apiVersion: Kustomization.apiVersion,
        resource: Kustomization.groupVersionResource, revisionPath: ["status", "lastAppliedRevision"],
        listWord: "kustomizations")

    static let all: [PetrelKind] = [.source, .kustomization]

    /// Words accepted for the source kind (commands and `--for`).
    static let sourceAliases = ["source", "sources", "gitrepository", "gitrepositories", "gitrepo", "gitrepos"]
    /// Words accepted for the Kustomization kind.
    static let kustomizationAliases = ["kustomization", "kustomizations", "ks"]

    /// The kind a word names (case-insensitive), e.g. `ks`, `GitRepository`, `sources`.
    static func named(_ word: String) -> PetrelKind? {
        let lowered = word.lowercased()
        if sourceAliases.contains(lowered) { return .source }
        if kustomizationAliases.contains(lowered) { return .kustomization }
        return nil
    }

    /// The kind of an object's `apiVersion`/`kind`, if it is a Petrel kind.
    static func of(apiVersion: String?, kind: String?) -> PetrelKind? {
        all.first { candidate in
            candidate.kind == kind
                && (apiVersion == nil || GroupVersion(apiVersion: apiVersion ?? "").group == candidate.resource.group)
        }
    }

    /// `Kustomization "apps" in namespace "petrel-system"`.
    func describe(_ name: String, namespace: String) -> String {
        "\(kind) \"\(name)\" in namespace \"\(namespace)\""
    }

    /// The hint for a name that does not exist.
    func listHint(namespace: String) -> String {
        "List them with `petrel get \(listWord) -n \(namespace)` (or -A for every namespace)."
    }
}

/// The summary of a Petrel object the tables and waits need.
struct ObjectSummary: Sendable {
    let namespace: String
    let name: String
    /// Ready's status (`True`, `False`, `Unknown`); `Unknown` when there is no Ready condition yet.
    let ready: String
    /// Ready's reason, if any.
    let reason: String
    /// Ready's message; empty when there is none.
    let message: String
    let revision: String
    let suspended: Bool
    let creationTimestamp: String?
    let lastHandledReconcileAt: String?

    init(_ object: JSONValue, kind: PetrelKind) {
        namespace = object.kube.namespace ?? ""
        name = object.kube.name ?? ""
        let conditions = object[path: ["status", "conditions"]]?.arrayValue ?? []
        let readyCondition = conditions.first { $0["type"]?.stringValue == ConditionType.ready }
        ready = readyCondition?["status"]?.stringValue ?? ConditionStatus.unknown.rawValue
        reason = readyCondition?["reason"]?.stringValue ?? ""
        message = readyCondition?["message"]?.stringValue ?? ""
        revision = object[path: kind.revisionPath]?.stringValue ?? ""
        suspended = object[path: ["spec", "suspend"]]?.boolValue ?? false
        creationTimestamp = object.kube.creationTimestamp
        lastHandledReconcileAt = object[path: ["status", "lastHandledReconcileAt"]]?.stringValue
    }
}
