import ArgumentParser
import ControllerRuntime
import Foundation
import KubeClient
import PetrelAPI

/// The flags of `petrel-controller` (the Helm chart renders exactly these names).
///
/// Every option states its default. Durations use Go's notation (`15s`, `1m30s`, `500ms`); addresses are
/// `[host]:port` (`:8080` listens on every interface; `0` turns an endpoint off).
package struct ManagerOptions: ParsableArguments, Sendable {
    @Option(name: .customLong("kubeconfig"), help: "Path to a kubeconfig file. Default: $KUBECONFIG, ~/.kube/config, then the in-cluster service account.")
    package var kubeconfig: String?

    @Option(name: .customLong("context"), help: "The kubeconfig context to use. Default: its current context.")
    package var context: String?

    @Option(name: .customLong("concurrency"), help: "Reconciles run in parallel per controller.")
    package var concurrency: Int = 4

    @Flag(
        name: .customLong("leader-elect"), inversion: .prefixedNo,
        help: "Elect a leader through a Lease so that only one replica reconciles.")
    package var leaderElect = true

    @Option(
        name: .customLong("leader-election-namespace"),
        help: "Namespace of the leader election Lease. Default: $POD_NAMESPACE, else petrel-system.")
    package var leaderElectionNamespace: String?

    @Flag(
        name: .customLong("leader-pod-label"),
        help: """
            While leading, label this pod ($POD_NAMESPACE/$POD_NAME) petrel.dev/leader=true, so a Service can select \
            the leader.
            """)
    package var leaderPodLabel = false

    @Option(name: .customLong("leader-election-id"), help: "Name of the leader election Lease.")
    package var leaderElectionID = "petrel-controller"

    @Option(name: .customLong("lease-duration"), help: "How long a Lease stays valid without renewal.")
    package var leaseDuration = DurationArgument(.seconds(15))

    @Option(name: .customLong("renew-deadline"), help: "How long the leader keeps retrying a renewal before it steps down.")
    package var renewDeadline = DurationArgument(.seconds(10))

    @Option(name: .customLong("retry-period"), help: "How often candidates try to acquire or renew the Lease.")
    package var retryPeriod = DurationArgument(.seconds(2))

    @Option(name: .customLong("metrics-addr"), help: "Address of the Prometheus /metrics endpoint; 0 turns it off.")
    package var metricsAddr = ":8080"

    @Option(name: .customLong("health-addr"), help: "Address of the /healthz and /readyz endpoints; 0 turns them off.")
    package var healthAddr = ":9440"

    @Option(name: .customLong("watch-label-selector"), help: "Only watch objects matching this label selector. Default: all.")
    package var watchLabelSelector: String?

    @Option(name: .customLong("log-level"), help: "Least severe level logged.")
    package var logLevel = LogLevelArgument.info

    @Option(name: .customLong("log-encoding"), help: "json: one JSON object per line; console: human-readable lines.")
    package var logEncoding = LogEncoding.json

    @Option(name: .customLong("storage-path"), help: "Directory where GitRepository artifacts are stored.")
    package var storagePath = "/data"

    @Option(name: .customLong("storage-addr"), help: "Address the artifact HTTP server listens on.")
    package var storageAddr = ":9090"

    @Option(
        name: .customLong("storage-adv-addr"),
        help: "HOST:PORT written into artifact URLs. Default: this host's name and the storage port.")
    package var storageAdvAddr: String?

    @Option(name: .customLong("requeue-dependency"), help: "How often a Kustomization waiting for a dependency is retried.")
    package var requeueDependency = DurationArgument(.seconds(30))

    @Option(
        name: .customLong("build-timeout"),
        help: "The longest one Kustomization's build (kustomize build and postBuild substitution) may run.")
    package var buildTimeout = DurationArgument(.seconds(30))

    @Flag(name: .customLong("no-cross-namespace-refs"), help: "Refuse references to sources in other namespaces.")
    package var noCrossNamespaceRefs = false

    @Flag(
        name: .customLong("no-remote-bases"),
        help: "Refuse remote kustomize bases (Petrel never fetches them; accepted for Flux compatibility).")
    package var noRemoteBases = false

    @Flag(
        name: .customLong("require-secret-url-binding"),
        help: ArgumentHelp(
            "Use a GitRepository's secretRef only if the Secret's source.petrel.dev/allowed-urls annotation lists a "
                + "prefix of spec.url (tenant mode).",
            discussion: "Without it, a Secret without the annotation may be sent to any URL a GitRepository of its "
                + "namespace names; a Secret with the annotation is always held to it."))
    package var requireSecretURLBinding = false

    @Option(
        name: .customLong("default-service-account"),
        help: "Service account impersonated by Kustomizations that name none. Default: the controller's own.")
    package var defaultServiceAccount: String?

    @Option(name: .customLong("kube-api-qps"), help: "Client-side limit of API requests per second.")
    package var kubeAPIQPS: Double = 50

    @Option(name: .customLong("kube-api-burst"), help: "Client-side burst of API requests.")
    package var kubeAPIBurst = 300

    @Option(
        name: .customLong("graceful-shutdown-timeout"),
        help: "How long in-flight reconciles may finish after SIGTERM before they are cancelled.")
    package var gracefulShutdownTimeout = DurationArgument(.seconds(30))

    @Option(
        name: .customLong("watch-idle-timeout"),
        help: "How long a watch may stay silent before it is treated as dead and restarted; keep it above the API server's bookmark cadence (about 1m).")
    package var watchIdleTimeout = DurationArgument(.seconds(150))

    @Option(name: .customLong("controllers"), help: "Comma-separated controllers to run: gitrepository, kustomization.")
    package var controllers = ControllerSelection(ControllerName.allCases)

    package init() {}

    package func validate() throws {
        guard concurrency >= 1 else {
            throw ValidationError("--concurrency must be at least 1, got \(concurrency)")
        }
        guard kubeAPIQPS > 0, kubeAPIBurst >= 1 else {
            throw ValidationError("--kube-api-qps must be positive and --kube-api-burst at least 1")
        }
        for (flag, value) in [("metrics-addr", metricsAddr), ("health-addr", healthAddr), ("storage-addr", storageAddr)]
        where value != "0" && ListenAddress(parsing: value) == nil {
            throw ValidationError("--\(flag) '\(value)' is not an address: use [HOST]:PORT, e.g. :8080")
        }
        if leaderElect {
            guard renewDeadline.duration < leaseDuration.duration, retryPeriod.duration < renewDeadline.duration else {
                throw ValidationError(
                    "leader election needs --retry-period < --renew-deadline < --lease-duration (defaults 2s, 10s, 15s)")
            }
        }
        guard gracefulShutdownTimeout.duration > .zero else {
            throw ValidationError("--graceful-shutdown-timeout must be positive, e.g. 30s")
        }
        guard buildTimeout.duration > .zero else {
            throw ValidationError("--build-timeout must be positive, e.g. 30s")
        }
        guard watchIdleTimeout.duration >= .seconds(1) else {
            throw ValidationError("--watch-idle-timeout must be at least 1s, e.g. 150s")
        }
    }

    /// The namespace of the leader election Lease: the flag, else `$POD_NAMESPACE`, else `petrel-system`.
    package func resolvedLeaderElectionNamespace(environment: [String: String] = ProcessInfo.processInfo.environment)
        -> String
    {
        if let leaderElectionNamespace, !leaderElectionNamespace.isEmpty { return leaderElectionNamespace }
        if let namespace = environment["POD_NAMESPACE"], !namespace.isEmpty { return namespace }
        return "petrel-system"
    }

    /// `--storage-adv-addr`, else this host's name with the port of `--storage-addr`.
    package var storageAdvertisedAddress: String {
        if let storageAdvAddr, !storageAdvAddr.isEmpty { return storageAdvAddr }
        let port = ListenAddress(parsing: storageAddr)?.port ?? 9090
        return "\(KubeEventRecorder.hostName):\(port)"
    }

    /// The Kubernetes client configuration: `--kubeconfig` (with `--context`), else kubectl's search, else the
    /// in-cluster configuration; with `--kube-api-qps` and `--kube-api-burst` applied.
    package func kubeConfig() throws(KubeClientError) -> KubeConfig {
        var config: KubeConfig
        if let kubeconfig {
            config = try KubeConfig.load(paths: [kubeconfig], context: context)
        } else {
            config = try KubeConfig.automatic(context: context)
        }
        config.qps = kubeAPIQPS
        config.burst = kubeAPIBurst
        config.watchIdleTimeout = watchIdleTimeout.duration
        return config
    }

    /// The manager's configuration from these flags.
    /// - Parameter identity: this candidate's leader election identity.
    package func managerConfiguration(identity: String) -> ManagerConfiguration {
        var configuration = ManagerConfiguration()
        configuration.metricsAddress = metricsAddr == "0" ? nil : ListenAddress(parsing: metricsAddr)
        configuration.healthAddress = healthAddr == "0" ? nil : ListenAddress(parsing: healthAddr)
        configuration.gracefulShutdownTimeout = gracefulShutdownTimeout.duration
        if leaderElect {
            var timing = LeaderElectionStateMachine.Timing()
            timing.leaseDuration = leaseDuration.duration
            timing.renewDeadline = renewDeadline.duration
            timing.retryPeriod = retryPeriod.duration
            configuration.leaderElection = LeaderElectionConfiguration(
                namespace: resolvedLeaderElectionNamespace(), name: leaderElectionID, identity: identity, timing: timing)
        }
        return configuration
    }
}

/// A duration flag in Go's notation (`15s`, `1m30s`, `500ms`).
package struct DurationArgument: ExpressibleByArgument, Sendable, Equatable {
    /// The parsed duration.
    package var duration: Duration

    package init(_ duration: Duration) {
        self.duration = duration
    }

    /// Parses Go syntax (``PetrelAPI/GoDuration/init(parsing:)``); `nil` when malformed or negative.
    package init?(argument: String) {
        guard let parsed = try? GoDuration(parsing: argument), parsed.nanoseconds >= 0 else { return nil }
        self.duration = parsed.duration
    }

    package var defaultValueDescription: String { GoDuration.format(duration) }
}

/// `--log-level`.
package enum LogLevelArgument: String, ExpressibleByArgument, CaseIterable, Sendable {
    case debug, info, warning, error
}

/// `--log-encoding`.
package enum LogEncoding: String, ExpressibleByArgument, CaseIterable, Sendable {
    case json, console
}

/// The controllers `--controllers` can select.
package enum ControllerName: String, CaseIterable, Sendable {
    case gitrepository
    case kustomization
}

/// `--controllers`: a comma-separated subset of ``ControllerName``.
package struct ControllerSelection: ExpressibleByArgument, Sendable, Equatable {
    /// The selected controllers, without duplicates, in the order given.
    package var names: [ControllerName]

    package init(_ names: [ControllerName]) {
        self.names = names
    }

    package init?(argument: String) {
        var names: [ControllerName] = []
        for part in argument.split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces).lowercased()
            guard !trimmed.isEmpty else { continue }
            guard let name = ControllerName(rawValue: trimmed) else { return nil }
            if !names.contains(name) { names.append(name) }
        }
        self.names = names
    }

    /// Whether `name` is selected.
    package func contains(_ name: ControllerName) -> Bool { names.contains(name) }

    package var defaultValueDescription: String { names.map(\.rawValue).joined(separator: ",") }
}
