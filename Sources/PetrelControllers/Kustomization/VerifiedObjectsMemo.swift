import PetrelAPI
import Synchronization

/// The objects of each Kustomization the apply engine verified at its last apply (``VerifiedSet``), so that the
/// drift check every `spec.interval` dry-runs only objects that changed since (on either side).
///
/// Flux dry-runs every object of every Kustomization at every interval; with 200 Kustomizations of 20 objects and
/// a client limited to 50 requests/s, those 4,000 dry-runs alone hold the client for 80 s. With this memo a steady
/// state costs the owner-label LISTs (or a GET for an object alone of its kind and namespace).
///
/// ## Guarantees
/// - Keyed by the Kustomization's UID (a recreated Kustomization starts empty); each entry holds exactly the
///   objects of its last successful apply (bounded by its inventory).
/// - Forgotten when a reconcile fails (any step) or the Kustomization leaves the informer (deleted, with or
///   without Petrel's finalizer, or out of `--watch-label-selector`), and the engine ignores a set
///   verified under another identity (`spec.serviceAccountName`), field manager or `spec.force`.
/// - An object verified longer ago than ``KustomizationControllerOptions/verifiedObjectMaxAge`` (1 hour) is
///   dry-run again, so a change of the server's rules for untouched objects (admission webhooks, policies, a
///   CustomResourceDefinition changed outside the set) is noticed within that time.
/// - Memory only: a restarted controller dry-runs every object once.
package final class VerifiedObjectsMemo: Sendable {
    private let sets = Mutex<[String: VerifiedSet]>([:])

    /// An empty memo.
    package init() {}

    /// What was verified at `object`'s last successful apply; ``VerifiedSet/empty`` when nothing is known.
    func verified(for object: Kustomization) -> VerifiedSet {
        guard let uid = object.metadata.uid else { return .empty }
        return sets.withLock { $0[uid] } ?? .empty
    }

    /// Records what the apply of `object` verified.
    func record(_ set: VerifiedSet, for object: Kustomization) {
        guard let uid = object.metadata.uid else { return }
        sets.withLock { $0[uid] = set }
    }

    /// Forgets `object` (a failed reconcile or a deletion): its next drift check dry-runs every object.
    func forget(_ object: Kustomization) {
        guard let uid = object.metadata.uid else { return }
        forget(uid: uid)
    }

    /// Forgets the Kustomization with `uid` (gone from the informer: deleted, or out of the label selector).
    func forget(uid: String) {
        sets.withLock { $0[uid] = nil }
    }

    /// How many Kustomizations have a verified set (for tests).
    package var count: Int { sets.withLock { $0.count } }

    /// How many objects of `object` are remembered (for tests).
    package func count(for object: Kustomization) -> Int {
        guard let uid = object.metadata.uid else { return 0 }
        return sets.withLock { $0[uid]?.objects.count ?? 0 }
    }
}
