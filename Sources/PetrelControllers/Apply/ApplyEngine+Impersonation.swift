import KubeClient

extension ApplyEngine {
    /// The same engine (field manager, timeouts) sending its requests through `client`, typically an impersonating
    /// view of the engine's client (``KubeClient/impersonating(_:)``), so a tenant's objects are validated,
    /// applied, pruned and health-checked with the tenant's permissions.
    package func using(_ client: KubeClient) -> ApplyEngine {
        ApplyEngine(
            client: client, fieldManager: fieldManager, logger: logger, establishTimeout: establishTimeout,
            deletionTimeout: deletionTimeout)
    }
}
