import Foundation
import KubeCore
import Logging
@testable import PetrelManager
import Testing

@Suite("petrel-controller flags")
struct ManagerOptionsTests {
    @Test("defaults match the contract")
    func defaults() throws {
        let options = try ManagerOptions.parse([])
        #expect(options.concurrency == 4)
        #expect(options.leaderElect)
        #expect(options.leaderElectionID == "petrel-controller")
        #expect(options.leaseDuration.duration == .seconds(15))
        #expect(options.renewDeadline.duration == .seconds(10))
        #expect(options.retryPeriod.duration == .seconds(2))
        #expect(options.metricsAddr == ":8080" && options.healthAddr == ":9440")
        #expect(options.logLevel == .info && options.logEncoding == .json)
        #expect(options.storagePath == "/data" && options.storageAddr == ":9090")
        #expect(options.requeueDependency.duration == .seconds(30))
        #expect(options.buildTimeout.duration == .seconds(30))
        #expect(options.kubeAPIQPS == 50 && options.kubeAPIBurst == 300)
        #expect(options.gracefulShutdownTimeout.duration == .seconds(30))
        #expect(options.controllers.names == [.gitrepository, .kustomization])
        #expect(!options.noCrossNamespaceRefs && !options.noRemoteBases)
        #expect(options.resolvedLeaderElectionNamespace(environment: [:]) == "petrel-system")
        #expect(options.resolvedLeaderElectionNamespace(environment: ["POD_NAMESPACE": "flux"]) == "flux")
        #expect(options.storageAdvertisedAddress.hasSuffix(":9090"))
    }

    @Test("flags are parsed into the manager configuration")
    func parsing() throws {
        let options = try ManagerOptions.parse([
            "--no-leader-elect", "--metrics-addr", "0", "--health-addr", "127.0.0.1:9441", "--controllers",
            "kustomization", "--graceful-shutdown-timeout", "1m30s", "--requeue-dependency", "500ms",
            "--build-timeout", "2m", "--storage-adv-addr", "source.petrel-system:80", "--leader-election-namespace", "ops",
        ])
        let configuration = options.managerConfiguration(identity: "me")
        #expect(configuration.leaderElection == nil)
        #expect(configuration.metricsAddress == nil)
        #expect(configuration.healthAddress == ListenAddress(host: "127.0.0.1", port: 9441))
        #expect(configuration.gracefulShutdownTimeout == .seconds(90))
        #expect(options.requeueDependency.duration == .milliseconds(500))
        #expect(options.buildTimeout.duration == .seconds(120))
        #expect(options.controllers.names == [.kustomization])
        #expect(options.storageAdvertisedAddress == "source.petrel-system:80")
        let elected = try ManagerOptions.parse(["--leader-election-namespace", "ops", "--lease-duration", "20s"])
            .managerConfiguration(identity: "me")
        #expect(elected.leaderElection?.namespace == "ops")
        #expect(elected.leaderElection?.timing.leaseDuration == .seconds(20))
        #expect(elected.leaderElection?.identity == "me")
    }

    @Test("invalid values are rejected with a message saying what to do")
    func rejects() {
        #expect(throws: (any Error).self) { try ManagerOptions.parse(["--controllers", "helmrelease"]) }
        #expect(throws: (any Error).self) { try ManagerOptions.parse(["--concurrency", "0"]) }
        #expect(throws: (any Error).self) { try ManagerOptions.parse(["--metrics-addr", "localhost"]) }
        #expect(throws: (any Error).self) { try ManagerOptions.parse(["--renew-deadline", "20s"]) }
        do {
            _ = try ManagerOptions.parse(["--renew-deadline", "20s"])
            Issue.record("a renew deadline above the lease duration was accepted")
        } catch {
            #expect(ManagerOptions.message(for: error).contains("--retry-period < --renew-deadline < --lease-duration"))
        }
    }

    @Test("duration flags use PetrelAPI's Go duration parser: Go syntax, never negative, never trapping")
    func durations() {
        #expect(DurationArgument(argument: "15s")?.duration == .seconds(15))
        #expect(DurationArgument(argument: "1m30s")?.duration == .seconds(90))
        #expect(DurationArgument(argument: "250ms")?.duration == .milliseconds(250))
        #expect(DurationArgument(argument: "1.5h")?.duration == .seconds(5_400))
        #expect(DurationArgument(argument: "0")?.duration == .zero)
        for refused in ["15", "-1s", "", "5124095.9h", "2562047h47m16.854775808s"] {
            #expect(DurationArgument(argument: refused) == nil, "\(refused)")
        }
        #expect(DurationArgument(.seconds(90)).defaultValueDescription == "1m30s")
        #expect(DurationArgument(.seconds(15)).defaultValueDescription == "15s")
        #expect(DurationArgument(.milliseconds(500)).defaultValueDescription == "500ms")
    }

    @Test("addresses parse the way Go's net.Listen reads them")
    func addresses() {
        #expect(ListenAddress(parsing: ":8080") == ListenAddress(host: "0.0.0.0", port: 8080))
        #expect(ListenAddress(parsing: "127.0.0.1:0") == ListenAddress(host: "127.0.0.1", port: 0))
        #expect(ListenAddress(parsing: "[::1]:9440") == ListenAddress(host: "::1", port: 9440))
        #expect(ListenAddress(parsing: "8080") == nil)
        #expect(ListenAddress(parsing: ":99999") == nil)
    }

    @Test("the JSON log handler writes one parseable object per line with the metadata")
    func jsonLogs() throws {
        let sink = JSONLogSink()
        var logger = Logger(label: "petrel.test") { JSONLogHandler(label: $0, destination: .memory(sink)) }
        logger[metadataKey: "petrel.controller"] = "kustomization"
        logger.info("reconciled \"app\"\nin 2s", metadata: ["petrel.name": "app", "msg": "shadowed"])
        logger.debug("not shown at info level")
        logger.error("failed", metadata: ["attempts": .array(["1", "2"])])
        #expect(sink.lines.count == 2)
        #expect(sink.lines.allSatisfy { $0.hasSuffix("\n") && $0.dropLast().firstIndex(of: "\n") == nil })
        let first = try JSONParser.parse(sink.lines[0])
        #expect(first["msg"]?.stringValue == "reconciled \"app\"\nin 2s")
        #expect(first["level"]?.stringValue == "info")
        #expect(first["logger"]?.stringValue == "petrel.test")
        #expect(first["petrel.controller"]?.stringValue == "kustomization")
        #expect(first["petrel.name"]?.stringValue == "app")
        #expect(first["meta.msg"]?.stringValue == "shadowed")
        #expect(first["ts"]?.stringValue?.hasSuffix("Z") == true)
        let second = try JSONParser.parse(sink.lines[1])
        #expect(second["attempts"] == .array(["1", "2"]))
        #expect(second["caller"]?.stringValue?.hasPrefix("ManagerOptionsTests.swift:") == true)
    }
}
