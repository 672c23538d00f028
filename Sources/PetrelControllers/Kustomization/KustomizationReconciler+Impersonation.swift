import KubeClient
import KubeCore
import Logging
import PetrelAPI

extension KustomizationReconciler {
    /// The ServiceAccount a Kustomization acts as: `spec.serviceAccountName`, else `--default-service-account`,
    /// else none (the controller's own identity).
    static func serviceAccountName(of object: Kustomization, defaultServiceAccount: String?) -> String? {
        if let name = object.spec.serviceAccountName, !name.isEmpty { return name }
        if let name = defaultServiceAccount, !name.isEmpty { return name }
        return nil
    }

    /// The identity the Kustomization's objects are handled with, as Flux's kustomize-controller impersonates:
    /// user `system:serviceaccount:<namespace of the Kustomization>:<name>`, no groups (the API server adds the
    /// ServiceAccount groups). Nil when no ServiceAccount applies.
    func impersonation(for object: Kustomization) -> ImpersonationConfig? {
        guard let name = Self.serviceAccountName(of: object, defaultServiceAccount: options.defaultServiceAccount),
            let namespace = object.metadata.namespace
        else { return nil }
        return .serviceAccount(namespace: namespace, name: name)
    }

    /// This reconciler with its client and apply engine acting as the Kustomization's ServiceAccount (if one
    /// applies): use it for everything done on the author's behalf — reading the ConfigMaps and Secrets of
    /// `postBuild.substituteFrom`, dry-run, apply, prune, health checks, waits. Reading the source artifact and the
    /// `dependsOn` Kustomizations (their readiness and revision only; in another namespace only without
    /// `--no-cross-namespace-refs`), checking who owns an object, and writing the Kustomization's own status and
    /// finalizers stay with the controller's identity (`self`).
    ///
    /// The impersonating client is a view on the same connections (no new pool, nothing to shut down).
    func acting(for object: Kustomization) -> KustomizationReconciler {
        guard let impersonation = impersonation(for: object) else { return self }
        let tenant = client.impersonating(impersonation)
        var copy = self
        copy.client = tenant
        copy.engine = engine.using(tenant)
        return copy
    }

    /// Whether the ServiceAccount to impersonate exists (Flux's `CanImpersonate`), read with the controller's
    /// identity; true when none applies. Deletion skips pruning when it is gone, as the objects could not be
    /// deleted as that account anyway.
    func canImpersonate(for object: Kustomization) async -> Bool {
        guard let name = Self.serviceAccountName(of: object, defaultServiceAccount: options.defaultServiceAccount),
            let namespace = object.metadata.namespace
        else { return true }
        let serviceAccounts = GroupVersionResource(group: "", version: "v1", resource: "serviceaccounts")
        do {
            _ = try await client.get(serviceAccounts, namespace: namespace, name: name)
            return true
        } catch {
            return false
        }
    }
}
