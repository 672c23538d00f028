import KubeClient
import KubeCore
import PetrelAPI

/// Who owns the objects of an apply, so that objects another owner manages are never taken over silently.
///
/// An owner is named by labels on the objects (for Kustomizations `kustomize.petrel.dev/name` and
/// `kustomize.petrel.dev/namespace`, see ``ApplyOptions/labels``). Planning an object that exists refuses it when
///   - its live labels name a different owner (any of ``labels``' keys present with another value),
///   - that owner still exists (``ownerExists``), and
///   - the manifest does not say `kustomize.petrel.dev/takeover: enabled` (annotation or label), or says it but
///     ``mayTakeOver`` refuses (a tenant may not take objects from another namespace's Kustomization).
///
/// Objects without owner labels (made by hand, by `kubectl`, or by another tool) and objects whose owner is gone
/// (a deleted or renamed Kustomization that orphaned them) are adopted, as Flux adopts them. A refusal is a
/// validation failure: nothing of the set is written. Pruning already deletes only objects labelled with the
/// pruning owner (``ApplyEngine/prune(_:requiringLabels:)``), so an object taken over is never pruned by its
/// previous owner.
package struct ApplyOwnership: Sendable {
    /// The labels naming this owner, e.g. `kustomize.petrel.dev/name: app`.
    package var labels: [String: String]
    /// Whether the owner named by a live object's owner labels (only the keys of ``labels`` it carries) exists.
    /// Answer true when unsure: the object is then refused rather than taken over.
    package var ownerExists: @Sendable ([String: String]) async -> Bool
    /// How messages name the owner of those labels, e.g. `Kustomization team-a/app`.
    package var describe: @Sendable ([String: String]) -> String
    /// Whether a manifest asking for `kustomize.petrel.dev/takeover` may take an object from the owner of those
    /// labels; nil (the reason why not) when it may.
    package var mayTakeOver: @Sendable ([String: String]) -> String?

    package init(
        labels: [String: String], ownerExists: @escaping @Sendable ([String: String]) async -> Bool,
        describe: @escaping @Sendable ([String: String]) -> String,
        mayTakeOver: @escaping @Sendable ([String: String]) -> String? = { _ in nil }
    ) {
        self.labels = labels
        self.ownerExists = ownerExists
        self.describe = describe
        self.mayTakeOver = mayTakeOver
    }

    /// The owner labels of `live` (the keys of ``labels`` it carries), or nil when they name this owner or none.
    func otherOwner(of live: JSONValue) -> [String: String]? {
        let liveLabels = live.kube.labels
        var found: [String: String] = [:]
        for key in labels.keys { if let value = liveLabels[key] { found[key] = value } }
        guard !found.isEmpty, found.contains(where: { labels[$0.key] != $0.value }) else { return nil }
        return found
    }
}

extension ApplyEngine {
    /// Throws when `live` belongs to another owner that exists and the manifest does not ask to take it over.
    func checkOwnership(_ item: Desired, live: JSONValue?, options: ApplyOptions) async throws(PlanFailure) {
        guard let ownership = options.ownership, let live, let other = ownership.otherOwner(of: live) else { return }
        let refusal: String?
        if ObjectPolicy(item.object).takeover {
            refusal = ownership.mayTakeOver(other)
            if refusal == nil { return }
        } else {
            refusal = nil
        }
        guard await ownership.ownerExists(other) else {
            logger.info("\(item.id) adopted: its previous owner \(ownership.describe(other)) no longer exists")
            return
        }
        let message =
            "\(item.id) is managed by \(ownership.describe(other)): "
            + (refusal
                ?? "remove it from one of the two sources, or annotate the manifest with "
                + "\(WellKnown.takeoverKey): enabled to take it over")
        throw PlanFailure(
            failure: ApplyFailure(id: item.id, message: message), phase: .read,
            cause: .configuration("ownership conflict"))
    }
}
