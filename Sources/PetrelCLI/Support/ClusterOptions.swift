import ArgumentParser
import Foundation
import KubeClient
import KubeCore
import Logging

/// The flags every command that talks to a cluster accepts, as kubectl spells them.
struct ClusterOptions: ParsableArguments {
    @Option(name: .long, help: "Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster).")
    var kubeconfig: String?

    @Option(name: .long, help: "The kubeconfig context to use (default: its current-context).")
    var context: String?

    @Option(name: [.short, .long], help: "The namespace (default: the context's namespace, else \"default\").")
    var namespace: String?

    /// Loads the kubeconfig and runs `body` with a connected session; the client is shut down afterwards.
    func withSession<T: Sendable>(_ body: (Session) async throws -> T) async throws -> T {
        let config = try loadConfig()
        var logger = Logger(label: "petrel.cli")
        logger.logLevel = .critical
        let namespace = self.namespace ?? config.namespace
        do {
            return try await KubeClient.withClient(config: config, logger: logger) { client in
                try await body(Session(client: client, config: config, namespace: namespace))
            }
        } catch let error as KubeClientError {
            throw CLIError.from(error, what: "request to \(config.server)", server: config.server)
        }
    }

    func loadConfig() throws(CLIError) -> KubeConfig {
        var config: KubeConfig
        do {
            if let kubeconfig {
                guard FileManager.default.fileExists(atPath: kubeconfig) else {
                    throw CLIError.unreachable(
                        "kubeconfig \(kubeconfig) does not exist: pass the path of an existing file to --kubeconfig")
                }
                config = try KubeConfig.load(paths: [kubeconfig], context: context)
            } else {
                config = try KubeConfig.automatic(context: context)
            }
        } catch let error as CLIError {
            throw error
        } catch let error as KubeClientError {
            throw .unreachable(
                "cannot load a cluster configuration: \(error.message). Pass --kubeconfig, set KUBECONFIG, or run inside a pod.")
        } catch {
            throw .unreachable("cannot load a cluster configuration: \(error)")
        }
        // A CLI should fail fast when the cluster is down rather than sit on the default 30 s.
        config.timeout = .seconds(15)
        return config
    }
}

/// A connected client plus the namespace the command works in.
struct Session: Sendable {
    let client: KubeClient
    let config: KubeConfig
    /// `-n`, else the context's namespace.
    let namespace: String

    /// Runs a request, translating client errors into ``CLIError`` naming `what`.
    func call<T: Sendable>(
        _ what: @autoclosure () -> String, hint: @autoclosure () -> String? = nil,
        _ body: () async throws(KubeClientError) -> T
    ) async throws(CLIError) -> T {
        do {
            return try await body()
        } catch {
            throw CLIError.from(error, what: what(), server: config.server, hint: hint())
        }
    }
}
