import KubeClient
import KubeCore

extension ApplyEngine {
    /// The resource serving `id` and the namespace to use (nil when cluster-scoped), or nil when no version of its
    /// group serves its kind any more.
    ///
    /// The id's own version is tried first; when that version is no longer served (an inventory written before an
    /// API version was removed), the other served versions of the group are tried, since the object is the same
    /// whatever version reads it.
    func resolve(_ id: ResourceID) async throws(KubeClientError) -> (GroupVersionResource, String?)? {
        let info: APIResourceInfo
        do {
            info = try await client.discovery.resource(for: id.groupVersionKind, client: client)
        } catch {
            guard case .resourceNotFound = error else { throw error }
            guard let other = try await otherVersion(of: id) else { return nil }
            info = other
        }
        let namespace = info.namespaced ? (id.namespace.isEmpty ? client.config.namespace : id.namespace) : nil
        return (info.groupVersionResource, namespace)
    }

    private func otherVersion(of id: ResourceID) async throws(KubeClientError) -> APIResourceInfo? {
        for groupVersion in try await client.discovery.groupVersions(client: client)
        where groupVersion.group == id.group && groupVersion.version != id.version {
            let resources = try await client.discovery.resources(in: groupVersion, client: client)
            if let found = resources.first(where: { $0.kind == id.kind }) { return found }
        }
        return nil
    }
}
