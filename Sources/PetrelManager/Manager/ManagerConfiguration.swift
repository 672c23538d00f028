import ControllerRuntime
import ServiceLifecycle
import UnixSignals

/// A `host:port` to listen on.
package struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// The address to bind (`0.0.0.0` for every interface).
    package var host: String
    /// The port; 0 picks a free one.
    package var port: Int

    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `:8080` (every interface), `127.0.0.1:8080` or `[::1]:8080`; `nil` when malformed.
    package init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65_535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host.isEmpty ? "0.0.0.0" : host
        self.port = port
    }

    package var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Leader election settings of a ``Manager``.
package struct LeaderElectionConfiguration: Sendable {
    /// The namespace of the Lease.
    package var namespace: String
    /// The Lease's name (`--leader-election-id`).
    package var name: String
    /// This candidate's unique identity (default in ``ManagerOptions``: host name plus a random suffix).
    package var identity: String
    /// Lease duration, renew deadline and retry period. Default 15 s, 10 s, 2 s.
    package var timing: LeaderElectionStateMachine.Timing

    package init(
        namespace: String, name: String, identity: String, timing: LeaderElectionStateMachine.Timing = .init()
    ) {
        self.namespace = namespace
        self.name = name
        self.identity = identity
        self.timing = timing
    }
}

/// How a ``Manager`` runs.
package struct ManagerConfiguration: Sendable {
    /// Where `/metrics` is served. Default `0.0.0.0:8080`; `nil` disables the endpoint.
    package var metricsAddress: ListenAddress? = ListenAddress(host: "0.0.0.0", port: 8080)
    /// Where `/healthz` and `/readyz` are served. Default `0.0.0.0:9440`; `nil` disables them.
    package var healthAddress: ListenAddress? = ListenAddress(host: "0.0.0.0", port: 9440)
    /// Leader election; `nil` (the default here, while ``ManagerOptions`` turns it on) runs the controllers at
    /// once. With several replicas, leave it on, or two managers reconcile the same objects.
    package var leaderElection: LeaderElectionConfiguration?
    /// How long in-flight reconciles may run after a graceful shutdown starts before they are cancelled.
    /// Default 30 s; it should stay below the pod's `terminationGracePeriodSeconds`.
    package var gracefulShutdownTimeout: Duration = .seconds(30)
    /// Signals that start a graceful shutdown. Default SIGTERM and SIGINT; tests pass `[]` and run the manager
    /// inside their own `ServiceGroup`, whose graceful shutdown reaches the manager too.
    package var gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint]

    package init() {}
}
