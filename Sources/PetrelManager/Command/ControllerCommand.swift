import ArgumentParser
import ControllerRuntime
import Foundation
import KubeClient
import Logging

/// `petrel-controller`: runs Petrel's controllers against a cluster until SIGTERM.
///
/// Exit codes: 0 after a graceful shutdown; 1 when the lease was lost or a service failed; 64 for bad flags
/// (swift-argument-parser's usage error).
package struct ControllerCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "petrel-controller",
        abstract: "Petrel's GitOps controllers: GitRepository and Kustomization reconcilers with an artifact server.")

    @OptionGroup package var options: ManagerOptions

    package init() {}

    /// Parses the process arguments and runs the selected command (the executable's entry point).
    ///
    /// swift-argument-parser's own `main()` picks its synchronous variant when called from another module's
    /// top-level code, which refuses async commands, so the dispatch is spelled out here.
    /// A first argument `bench-runtime` runs the hidden benchmark command instead (scripts/bench.sh).
    /// glibc malloc arenas: two serve the event-loop and worker threads without each thread's arena holding its
    /// own free memory (see ``ProcessMemory``); `MALLOC_ARENA_MAX` in the environment overrides it.
    static let mallocArenas: Int32 = 2

    package static func runMain(arguments: [String] = Array(CommandLine.arguments.dropFirst())) async {
        ProcessMemory.limitArenas(to: mallocArenas)
        if arguments.first == RuntimeBenchmarkCommand.configuration.commandName {
            do {
                var command = try RuntimeBenchmarkCommand.parseAsRoot(Array(arguments.dropFirst()))
                if var asyncCommand = command as? any AsyncParsableCommand {
                    try await asyncCommand.run()
                } else {
                    try command.run()
                }
            } catch {
                RuntimeBenchmarkCommand.exit(withError: error)
            }
            return
        }
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }

    package func run() async throws {
        let options = self.options
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler
            switch options.logEncoding {
            case .json: handler = JSONLogHandler(label: label)
            case .console: handler = StreamLogHandler.standardError(label: label)
            }
            handler.logLevel = options.logLevel.level
            return handler
        }
        let logger = Logger(label: "petrel-controller")
        let config: KubeConfig
        do {
            config = try options.kubeConfig()
        } catch {
            logger.error("\(ManagerError.configuration("\(error)").message)")
            throw ExitCode.failure
        }
        let client = try KubeClient(config: config, logger: logger)
        let identity = "\(KubeEventRecorder.hostName)_\(UUID().uuidString.lowercased())"
        let manager = Manager(
            client: client, configuration: options.managerConfiguration(identity: identity),
            watchLabelSelector: options.watchLabelSelector, logger: logger)
        logger.info(
            "starting petrel-controller",
            metadata: [
                "server": "\(config.server)", "controllers": "\(options.controllers.defaultValueDescription)",
                "leaderElection": "\(options.leaderElect)", "identity": "\(identity)",
            ])
        do {
            try registerControllers(manager: manager, options: options)
            let environment = ProcessInfo.processInfo.environment
            if options.leaderPodLabel, let pod = environment["POD_NAME"], let namespace = environment["POD_NAMESPACE"] {
                manager.addService(
                    LeaderPodLabel(client: client, namespace: namespace, name: pod, logger: logger) {
                        manager.isLeading
                    })
            }
            try await manager.run()
        } catch {
            logger.error("petrel-controller stopped with an error", metadata: ["error": "\(error)"])
            try? await client.shutdown()
            throw ExitCode.failure
        }
        try? await client.shutdown()
        logger.info("petrel-controller stopped")
    }
}
