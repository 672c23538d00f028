import KubeClient
import KubeCore
import Logging

extension ApplyEngine {
    /// Waits until every object is healthy by kstatus rules or `timeout` passes.
    ///
    /// Polls with backoff (250 ms doubling to 5 s, never past the deadline). A missing object counts as not yet
    /// healthy. Fails fast with ``ApplyError/healthCheckFailed(_:)`` as soon as an object is Failed (a Job with
    /// `Failed=True`, a resource with `Ready=False` or `Stalled=True`); on timeout
    /// ``ApplyError/healthCheckTimedOut(_:timeout:)`` lists each object still not healthy and why.
    package func waitForHealth(_ ids: [ResourceID], timeout: Duration) async throws(ApplyError) {
        let deadline = ContinuousClock.now + timeout
        var pending = Array(Set(ids)).sorted { ApplyOrder.applyPrecedes($0, $1) }
        var delay = Duration.milliseconds(250)
        while true {
            var waiting: [ApplyFailure] = []
            var failed: [ApplyFailure] = []
            for id in pending {
                switch await health(of: id) {
                case .current: continue
                case .inProgress(let why):
                    waiting.append(ApplyFailure(id: id, message: "\(id) status: 'InProgress': \(why)"))
                case .failed(let why):
                    failed.append(ApplyFailure(id: id, message: "\(id) status: 'Failed': \(why)"))
                }
            }
            if !failed.isEmpty { throw .healthCheckFailed(failed) }
            if waiting.isEmpty { return }
            pending = waiting.compactMap(\.id)
            let now = ContinuousClock.now
            if now >= deadline || Task.isCancelled { throw .healthCheckTimedOut(waiting, timeout: timeout) }
            try? await Task.sleep(for: min(delay, deadline - now))
            delay = min(delay * 2, .seconds(5))
        }
    }

    /// The health of one object; read errors other than not-found count as in progress with the error as reason.
    func health(of id: ResourceID) async -> HealthStatus {
        do {
            guard let (resource, namespace) = try await resolve(id) else {
                return .inProgress("NotFound: its kind is not served")
            }
            let live = try await client.get(resource, namespace: namespace, name: id.name)
            return HealthStatus.of(live)
        } catch {
            if error.isNotFound { return .inProgress("NotFound") }
            return .inProgress("failed to read it: \(error.message)")
        }
    }
}
