import Foundation
import KubeClient
import KubeCore
import Logging
import ServiceLifecycle

/// Keeps the label `petrel.dev/leader=true` on this pod exactly while this instance leads (`--leader-pod-label`),
/// so that a Service can select the leader: with `replicas: 2` only the leader serves artifacts, and the chart's
/// artifact Service selects on this label (review finding S12).
///
/// ## Guarantees
/// - At start-up the label is removed (a restarted container begins as a standby, whatever its pod says).
/// - The label follows leadership within about a second; a failed patch is retried on the next tick.
/// - On shutdown the label is removed, even though the service's task is being cancelled.
///
/// ## Caveats
/// - A crashed leader keeps the label until its container restarts; the pod is then not Ready, so the Service
///   skips it anyway.
package struct LeaderPodLabel: Service {
    /// The label key.
    package static let key = "petrel.dev/leader"
    static let pods = GroupVersionResource(group: "", version: "v1", resource: "pods")

    let client: KubeClient
    let namespace: String
    let name: String
    let isLeading: @Sendable () -> Bool
    let logger: Logger
    let tick: Duration

    /// A label keeper for the pod `namespace/name`.
    package init(
        client: KubeClient, namespace: String, name: String, tick: Duration = .seconds(1), logger: Logger,
        isLeading: @escaping @Sendable () -> Bool
    ) {
        self.client = client
        self.namespace = namespace
        self.name = name
        self.isLeading = isLeading
        self.logger = logger
        self.tick = tick
    }

    package func run() async throws {
        var labelled: Bool? = nil
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let leading = isLeading()
            if labelled != leading, await set(leading) { labelled = leading }
            try? await Task.sleep(for: tick)
        }
        // The task is cancelled or shutting down: remove the label from a task that is not.
        if labelled != false { _ = await Task { await set(false) }.value }
    }

    /// Sets or removes the label; returns whether the patch succeeded.
    func set(_ leading: Bool) async -> Bool {
        let value: JSONValue = leading ? "true" : .null
        do {
            _ = try await client.patch(
                Self.pods, namespace: namespace, name: name, .merge(["metadata": ["labels": [Self.key: value]]]))
            logger.info(leading ? "labelled this pod as the leader" : "removed the leader label from this pod")
            return true
        } catch {
            logger.warning(
                """
                cannot update the leader label of pod \(namespace)/\(name): \(error); the artifact Service may not \
                reach the leader (the chart grants pods get/patch in its namespace)
                """)
            return false
        }
    }
}
