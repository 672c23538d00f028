import ControllerRuntime
import Foundation
import GitSource
import KubeCore
import PetrelAPI
import Synchronization

/// What the last complete apply of each Kustomization applied, so that a reconcile whose build is identical to it
/// and comes before the next drift check can skip the API altogether.
///
/// A new source revision requeues every Kustomization of the source at once; with 200 of them and one changed
/// folder, 199 would each dry-run their whole set again only to find nothing to do, and the one that changed waits
/// behind them. With the memo those 199 build (from the shared ``ArtifactCache``), see the same manifests, record
/// the new revision and requeue for their drift check at the time it was due anyway.
///
/// ## Guarantees
/// - A skip needs: the same object (UID), Ready=True for the current generation, no pending
///   `reconcile.petrel.dev/requestedAt`, the same inventory in status, a byte-identical build (sha256 of the
///   manifests after substitution), and less than `spec.interval` since the last complete apply. Drift is still
///   corrected every `spec.interval` (the skip requeues for the remainder of it).
/// - Memory only: a restarted controller applies everything once. An entry goes when its Kustomization leaves the
///   informer (deleted, finalizer or not, or out of `--watch-label-selector`), so the memo holds only live objects.
package final class AppliedSetMemo: Sendable {
    struct Record: Sendable {
        var fingerprint: String
        var appliedAt: ContinuousClock.Instant
        var inventory: [ResourceRef]
    }

    private let records = Mutex<[String: Record]>([:])

    /// An empty memo.
    package init() {}

    /// The sha256 of the manifests as they would be applied.
    static func fingerprint(_ objects: [JSONValue]) -> String {
        var digester = ArtifactDigester()
        for object in objects {
            digester.update(json: object)
            [UInt8(ascii: "\n")].withUnsafeBytes { digester.update($0) }
        }
        return digester.finalize()
    }

    /// How long until the drift check is due when `object`'s build (`fingerprint`) is what was last applied and
    /// nothing else asks for a complete reconcile; nil when it must be applied now.
    func remaining(for object: Kustomization, fingerprint: String, now: ContinuousClock.Instant) -> Duration? {
        guard let uid = object.metadata.uid, object.isReady, !object.hasPendingReconcileRequest else { return nil }
        guard let record = records.withLock({ $0[uid] }), record.fingerprint == fingerprint,
            record.inventory == (object.status.inventory?.entries ?? [])
        else { return nil }
        let left = object.spec.interval.duration - record.appliedAt.duration(to: now)
        return left > .zero ? left : nil
    }

    /// Records a complete apply of `object` (its status already holding the new inventory).
    func record(_ object: Kustomization, fingerprint: String, at instant: ContinuousClock.Instant) {
        guard let uid = object.metadata.uid else { return }
        let record = Record(
            fingerprint: fingerprint, appliedAt: instant, inventory: object.status.inventory?.entries ?? [])
        records.withLock { $0[uid] = record }
    }

    /// Forgets `object` (a failed reconcile or a deletion): its next reconcile applies.
    func forget(_ object: Kustomization) {
        guard let uid = object.metadata.uid else { return }
        forget(uid: uid)
    }

    /// Forgets the Kustomization with `uid` (gone from the informer: deleted, or out of the label selector).
    func forget(uid: String) {
        records.withLock { $0[uid] = nil }
    }

    /// How many Kustomizations are remembered (for tests).
    package var count: Int { records.withLock { $0.count } }
}
