import ControllerRuntime
import KubeClient
import Logging
import ServiceLifecycle
import Synchronization

extension Manager {
    /// The service that runs informers, controllers and leader-only services, under leader election when
    /// configured.
    struct RuntimeService: Service {
        let manager: Manager
        func run() async throws { try await manager.runRuntime() }
    }

    /// How one term (a period of running the controllers) ended.
    enum TermEnd: Sendable {
        /// Graceful shutdown: the queues drained (or the timeout cancelled what was left).
        case drained
        /// The term's task was cancelled (leadership lost, or the whole manager cancelled).
        case interrupted
    }

    private enum TermEvent: Sendable {
        case stopRequested
        case controllersEnded
        case drainTimedOut
        case other
    }

    func runRuntime() async throws {
        let stop = OneShotSignal()
        try await withGracefulShutdownHandler {
            if let election = configuration.leaderElection {
                try await runElected(election, stop: stop)
            } else {
                phase.withLock { $0 = .leading }
                _ = await runTerm(stop: stop)
            }
            phase.withLock { $0 = .stopping }
        } onGracefulShutdown: {
            stop.fire()
        }
    }

    private enum ElectionEvent: Sendable {
        case stopRequested
        case drained
        case lost
    }

    private func runElected(_ election: LeaderElectionConfiguration, stop: OneShotSignal) async throws {
        // The Lease gets a client of its own (connections and rate limiter), as controller-runtime's leader election
        // does: renewals and the release on shutdown must never queue behind the controllers' requests (a backlog
        // of applies at --kube-api-qps would otherwise delay a renewal past the renew deadline).
        let electionClient: KubeClient
        do {
            electionClient = try KubeClient(config: client.config, logger: logger)
        } catch {
            throw ManagerError.configuration("cannot create the leader election client: \(error)")
        }
        do {
            try await runElected(election, client: electionClient, stop: stop)
        } catch {
            try? await electionClient.shutdown()
            throw error
        }
        try? await electionClient.shutdown()
    }

    private func runElected(
        _ election: LeaderElectionConfiguration, client: KubeClient, stop: OneShotSignal
    ) async throws {
        let elector = LeaderElector(
            client: client, namespace: election.namespace, name: election.name, identity: election.identity,
            timing: election.timing, logger: logger)
        let inTerm = LockedFlag()
        let (events, continuation) = AsyncStream<ElectionEvent>.makeStream(bufferingPolicy: .unbounded)
        phase.withLock { $0 = .standingBy }
        logger.info(
            "campaigning for leadership",
            metadata: ["petrel.lease": "\(election.namespace)/\(election.name)", "identity": "\(election.identity)"])
        let lost = await withTaskGroup(of: Void.self, returning: Bool.self) { group in
            group.addTask {
                await elector.run(releaseOnExit: true) {
                    inTerm.value = true
                    self.phase.withLock { $0 = .leading }
                    let end = await self.runTerm(stop: stop)
                    inTerm.value = false
                    self.phase.withLock { $0 = stop.isFired ? .stopping : .standingBy }
                    switch end {
                    case .drained:
                        continuation.yield(.drained)
                        // Stay "leading" until the manager cancels the elector, so it releases the lease.
                        await waitUntilCancelled()
                    case .interrupted:
                        continuation.yield(.lost)
                    }
                }
            }
            group.addTask {
                if await stop.wait() { continuation.yield(.stopRequested) }
            }
            var lost = false
            loop: for await event in events {
                switch event {
                case .stopRequested:
                    // A standby stops at once; a leader first drains its term (which yields .drained).
                    if !inTerm.value { break loop }
                case .drained:
                    break loop
                case .lost:
                    if !stop.isFired && !Task.isCancelled { lost = true }
                    break loop
                }
            }
            group.cancelAll()
            return lost
        }
        continuation.finish()
        if lost {
            throw ManagerError.leadershipLost(lease: "\(election.namespace)/\(election.name)")
        }
    }

    /// Runs the informers, controllers and leader-only services until a graceful stop has drained the
    /// controllers (``TermEnd/drained``) or the task is cancelled (``TermEnd/interrupted``).
    func runTerm(stop: OneShotSignal) async -> TermEnd {
        let (controllers, leaderServices) = registered.withLock { ($0.controllers, $0.leaderServices) }
        let informers = self.informers
        let timeout = configuration.gracefulShutdownTimeout
        let logger = self.logger
        return await withTaskGroup(of: TermEvent.self, returning: TermEnd.self) { group in
            group.addTask {
                await informers.run()
                return .other
            }
            for service in leaderServices {
                group.addTask {
                    do {
                        try await service.run()
                    } catch {
                        logger.error("a leader-only service failed", metadata: ["error": "\(error)"])
                    }
                    return .other
                }
            }
            group.addTask {
                await withDiscardingTaskGroup { workers in
                    for controller in controllers {
                        workers.addTask { await controller.run() }
                    }
                }
                return .controllersEnded
            }
            group.addTask { await stop.wait() ? .stopRequested : .other }
            var stopping = false
            var controllersEnded = false
            while let event = await group.next() {
                switch event {
                case .stopRequested:
                    stopping = true
                    guard informers.allSynced, !controllersEnded else {
                        // Workers start only after the caches sync, so nothing can be in flight yet (or no
                        // controller runs at all).
                        group.cancelAll()
                        return .drained
                    }
                    logger.info(
                        "graceful shutdown: finishing in-flight reconciles",
                        metadata: ["timeout": "\(timeout)", "controllers": "\(controllers.count)"])
                    for controller in controllers { await controller.queue.shutDown() }
                    group.addTask {
                        do {
                            try await Task.sleep(for: timeout)
                            return .drainTimedOut
                        } catch {
                            return .other
                        }
                    }
                case .controllersEnded where stopping:
                    group.cancelAll()
                    return .drained
                case .drainTimedOut:
                    logger.warning("graceful shutdown timed out; cancelling the reconciles still running")
                    group.cancelAll()
                    return .drained
                case .controllersEnded, .other:
                    if case .controllersEnded = event { controllersEnded = true }
                    if Task.isCancelled {
                        group.cancelAll()
                        return .interrupted
                    }
                }
            }
            return stopping ? .drained : .interrupted
        }
    }
}
