import GitSource
import KubeCore

/// What the apply engine last verified of one object: the object it sent (as a digest) and the live version that
/// matched it, so that a later drift check can tell the object has not changed since without a dry-run.
///
/// Verified means: after a write, the `uid` and `resourceVersion` the server returned for the apply of exactly
/// this object; without a write, those of the live object a dry-run of exactly this object was compared with and
/// found equal to (and the dry-run ran against that very version: same `resourceVersion`).
package struct VerifiedObject: Sendable, Equatable {
    /// sha256 of the object as sent (owner labels added, namespace set) and the resource it was sent to.
    package var digest: String
    /// The live object's `metadata.uid`.
    package var uid: String
    /// The live object's `metadata.resourceVersion`.
    package var resourceVersion: String
    /// When the dry-run or apply verified it (kept while later checks reuse the verification).
    package var verifiedAt: ContinuousClock.Instant

    package init(digest: String, uid: String, resourceVersion: String, verifiedAt: ContinuousClock.Instant = .now) {
        self.digest = digest
        self.uid = uid
        self.resourceVersion = resourceVersion
        self.verifiedAt = verifiedAt
    }

    /// The digest of `object` as sent to `resource`: the sorted-key JSON of both.
    static func digest(of object: JSONValue, resource: GroupVersionResource) -> String {
        var digester = ArtifactDigester()
        let head = Array("\(resource.group)/\(resource.version)/\(resource.resource)\n".utf8)
        head.withUnsafeBytes { digester.update($0) }
        digester.update(json: object)
        return digester.finalize()
    }

    /// Whether `live` is the object verified here, unchanged since: same `uid` and same `resourceVersion`.
    func matches(_ live: JSONValue) -> Bool {
        guard let liveUID = live.kube.uid, let liveVersion = live.kube.resourceVersion else { return false }
        return !uid.isEmpty && !resourceVersion.isEmpty && liveUID == uid && liveVersion == resourceVersion
    }

    /// The verification of `object` (a server response) with `digest`, or nil without `uid` or `resourceVersion`.
    init?(digest: String, object: JSONValue) {
        guard let uid = object.kube.uid, !uid.isEmpty, let version = object.kube.resourceVersion, !version.isEmpty
        else { return nil }
        self.init(digest: digest, uid: uid, resourceVersion: version)
    }
}

/// The objects of one set verified by its last successful ``ApplyEngine/validateAndApply(_:options:verified:)``,
/// keyed by object; hand it back to the next call of the same set to skip the dry-run of objects that did not
/// change on either side.
///
/// `context` names what else decides the outcome of a dry-run: the field manager, the identity the client acts
/// as, and ``ApplyOptions/force``. A set verified in another context is ignored as a whole.
package struct VerifiedSet: Sendable, Equatable {
    package var context: String
    package var objects: [ResourceID: VerifiedObject]

    package init(context: String = "", objects: [ResourceID: VerifiedObject] = [:]) {
        self.context = context
        self.objects = objects
    }

    /// Nothing verified: every object is dry-run.
    package static let empty = VerifiedSet()
}

/// What ``ApplyEngine/validateAndApply(_:options:verified:)`` did.
package struct ApplyResult: Sendable {
    /// What happened to each object, in apply order (as ``ApplyEngine/validateAndApply(_:options:)``).
    package var changeSet: [ChangeSetEntry]
    /// The objects of the set now verified, for the next call.
    package var verified: VerifiedSet
    /// How many objects were found unchanged from the previous `verified` without a dry-run.
    package var reused: Int
}

extension ApplyEngine {
    /// The previous verifications planning may trust, carried in ``ApplyOptions``.
    struct Verification: Sendable {
        /// Verified objects that may skip their dry-run; emptied once a CustomResourceDefinition was written.
        var prior: [ResourceID: VerifiedObject]
    }

    /// What decides a dry-run's outcome besides the object and the live state (see ``VerifiedSet/context``).
    func verificationContext(_ options: ApplyOptions) -> String {
        "manager=\(fieldManager)\nas=\(client.impersonation?.description ?? "")\nforce=\(options.force)"
    }
}

extension ArtifactDigester {
    /// Feeds `value` as sorted-key JSON, so equal objects give equal digests whatever their key order (the
    /// fingerprints of ``AppliedSetMemo`` and ``VerifiedObject``).
    mutating func update(json value: JSONValue) {
        JSONSerializer.bytes(value, sortKeys: true).withUnsafeBytes { update($0) }
    }
}
