import ControllerRuntime
import KubeClient
import Logging
import ServiceLifecycle
import Synchronization

/// Runs Petrel's controllers: the shared informers, the controllers, the health and metrics endpoints, extra
/// services (e.g. the artifact server), leader election and graceful shutdown — controller-runtime's manager as a
/// swift-service-lifecycle `ServiceGroup`.
///
/// ```swift
/// let manager = Manager(client: client, configuration: configuration, logger: logger)
/// manager.add(Controller(name: "demo", informer: manager.informers.informer(for: resource), reconciler: r, logger: logger))
/// try await manager.run()   // until SIGTERM: drain, release the lease, return
/// ```
///
/// ## Guarantees
/// - `/healthz` answers 200 while the process serves HTTP.
/// - `/readyz` answers 200 once every informer holds its first full list; with leader election a candidate that
///   stands by (another instance leads) is also ready, because it is healthy and able to take over: readiness
///   must not depend on which replica won, or a rollout would wait forever for the standbys.
/// - With leader election, informers, controllers and leader-only services run only while this instance leads.
///   Losing the lease stops them and makes ``run()`` throw ``ManagerError/leadershipLost``, so the process exits
///   non-zero and restarts with empty caches, as controller-runtime does.
/// - On graceful shutdown (SIGTERM, SIGINT, or the enclosing `ServiceGroup`): the queues stop handing out keys,
///   in-flight reconciles get up to ``ManagerConfiguration/gracefulShutdownTimeout`` to finish (then they are
///   cancelled), the Lease is released so another replica takes over at once, the HTTP servers stop last, and
///   ``run()`` returns normally — within the timeout plus ``shutdownMargin``, after which whatever is left is
///   cancelled.
///
/// ## Caveats
/// Add controllers and services before ``run()``; the manager runs once.
package final class Manager: Service, Sendable {
    /// The client every part of the manager uses.
    package let client: KubeClient
    /// The shared informers; controllers take theirs from here.
    package let informers: InformerFactory
    /// Writes Kubernetes Events for the controllers.
    package let recorder: KubeEventRecorder
    /// How the manager runs.
    package let configuration: ManagerConfiguration
    /// The manager's logger (controllers may derive theirs from it).
    package let logger: Logger

    struct Registered {
        var controllers: [Controller] = []
        var services: [any Service] = []
        var leaderServices: [any Service] = []
    }

    /// Where the manager is in its life, for `/readyz` and the leader metric.
    enum Phase: Sendable, Equatable {
        case starting
        case standingBy
        case leading
        case stopping
    }

    let registered = Mutex(Registered())
    let phase = Mutex(Phase.starting)
    let boundPorts = Mutex<[String: Int]>([:])

    /// Creates a manager.
    /// - Parameters:
    ///   - client: the Kubernetes client.
    ///   - configuration: endpoints, leader election, shutdown timeout.
    ///   - watchLabelSelector: the label selector every informer uses unless it names its own
    ///     (`--watch-label-selector`). Default none.
    ///   - logger: the manager's logger.
    package init(
        client: KubeClient, configuration: ManagerConfiguration = .init(), watchLabelSelector: String? = nil,
        logger: Logger
    ) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
        self.informers = InformerFactory(client: client, labelSelector: watchLabelSelector, logger: logger)
        self.recorder = KubeEventRecorder(client: client, logger: logger)
    }

    /// Adds a controller; it runs (while leading) when ``run()`` runs.
    package func add(_ controller: Controller) {
        registered.withLock { $0.controllers.append(controller) }
    }

    /// Adds a long-lived service (e.g. the artifact HTTP server).
    /// - Parameters:
    ///   - service: the service; it gets graceful shutdown before the health endpoints stop.
    ///   - leaderOnly: run it only while this instance leads (like source-controller's file server). Default
    ///     false: it runs for the manager's whole life. Without leader election the two are the same.
    package func addService(_ service: any Service, leaderOnly: Bool = false) {
        registered.withLock {
            if leaderOnly { $0.leaderServices.append(service) } else { $0.services.append(service) }
        }
    }

    /// The controllers added so far.
    package var controllers: [Controller] { registered.withLock { $0.controllers } }

    /// Whether `/readyz` answers 200 (see the type's guarantees).
    package var isReady: Bool {
        switch phase.withLock({ $0 }) {
        case .standingBy: true
        case .leading: informers.allSynced
        case .starting, .stopping: false
        }
    }

    /// Whether this instance runs the controllers now (always, once started, without leader election).
    package var isLeading: Bool { phase.withLock { $0 } == .leading }

    /// The port the health endpoints listen on, once they do (useful with port 0).
    package var healthPort: Int? { boundPorts.withLock { $0["health"] } }
    /// The port `/metrics` listens on, once it does (useful with port 0).
    package var metricsPort: Int? { boundPorts.withLock { $0["metrics"] } }

    /// What a graceful stop may take beyond ``ManagerConfiguration/gracefulShutdownTimeout``: releasing the Lease
    /// (at most ``LeaderElector/releaseTimeout``) and closing the HTTP endpoints. After it the manager's services
    /// are cancelled, so a stop ends within the timeout plus this margin even when a part ignores the request.
    package static let shutdownMargin: Duration = LeaderElector.releaseTimeout + .seconds(2)

    /// Runs until graceful shutdown (returns) or a failure (throws).
    /// - Throws: ``ManagerError/leadershipLost`` when the lease was lost; a service's error when it failed.
    package func run() async throws {
        let extra = registered.withLock { $0.services }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        // Graceful shutdown goes in reverse order: the runtime drains first, the health endpoints stop last.
        if let address = configuration.healthAddress {
            services.append(.init(service: makeHealthServer(address), serviceName: "health"))
        }
        if let address = configuration.metricsAddress {
            services.append(.init(service: makeMetricsServer(address), serviceName: "metrics"))
        }
        for service in extra { services.append(.init(service: service)) }
        services.append(
            .init(
                service: RuntimeService(manager: self), successTerminationBehavior: .gracefullyShutdownGroup,
                serviceName: "controllers"))
        var groupConfiguration = ServiceGroupConfiguration(services: services, logger: logger)
        groupConfiguration.gracefulShutdownSignals = configuration.gracefulShutdownSignals
        groupConfiguration.maximumGracefulShutdownDuration = configuration.gracefulShutdownTimeout + Self.shutdownMargin
        try await ServiceGroup(configuration: groupConfiguration).run()
    }
}

/// Errors of the manager.
package enum ManagerError: Error, Sendable, CustomStringConvertible {
    /// Another instance took the lease, or it could not be renewed within the renew deadline.
    case leadershipLost(lease: String)
    /// A flag value is malformed.
    case invalidFlag(name: String, value: String, expected: String)
    /// No Kubernetes configuration could be loaded.
    case configuration(String)

    /// A bounded CamelCase reason.
    package var reason: String {
        switch self {
        case .leadershipLost: "LeadershipLost"
        case .invalidFlag: "InvalidFlag"
        case .configuration: "ConfigurationFailed"
        }
    }

    /// What went wrong and what to do.
    package var message: String {
        switch self {
        case .leadershipLost(let lease):
            "lost the leader election lease \(lease); exiting so that the process restarts with fresh caches"
        case .invalidFlag(let name, let value, let expected):
            "invalid value '\(value)' for --\(name): expected \(expected)"
        case .configuration(let detail):
            "failed to load the Kubernetes configuration: \(detail); pass --kubeconfig or run in a cluster"
        }
    }

    package var description: String { message }
}
