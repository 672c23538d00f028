import ControllerRuntime
import Foundation
import KubeClient
import KubeCore
import Logging
import PetrelManager
import ServiceLifecycle
import Synchronization
import Testing

/// Polls `condition` until it holds or `timeout` passes.
func eventually(_ timeout: Duration = .seconds(60), _ condition: @Sendable () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return await condition()
}

/// A reconciler that counts its calls, optionally taking `delay` per reconcile.
final class CountingReconciler: Reconciler {
    let calls = Mutex(0)
    let completed = Mutex(0)
    let cancelled = Mutex(0)
    let delay: Duration

    init(delay: Duration = .zero) {
        self.delay = delay
    }

    var count: Int { calls.withLock { $0 } }

    func reconcile(_ key: ObjectKey, logger: Logger) async throws -> ReconcileResult {
        calls.withLock { $0 += 1 }
        if delay > .zero {
            do {
                try await Task.sleep(for: delay)
            } catch {
                cancelled.withLock { $0 += 1 }
                throw error
            }
        }
        completed.withLock { $0 += 1 }
        return .done
    }
}

/// A manager running inside its own `ServiceGroup`, stopped gracefully with ``stop()``.
struct RunningManager: Sendable {
    let manager: Manager
    let group: ServiceGroup
    let task: Task<Result<Void, any Error>, Never>

    static func start(_ manager: Manager) -> RunningManager {
        let group = ServiceGroup(services: [manager], logger: Logger(label: "test.group"))
        let task = Task<Result<Void, any Error>, Never> {
            do {
                try await group.run()
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        return RunningManager(manager: manager, group: group, task: task)
    }

    /// Triggers a graceful shutdown and waits for the manager to end.
    @discardableResult
    func stop() async -> Result<Void, any Error> {
        await group.triggerGracefulShutdown()
        return await task.value
    }

    /// Triggers a graceful shutdown and waits up to `limit` for the manager to end; `nil` if it did not (a hang).
    func stop(within limit: Duration) async -> Result<Void, any Error>? {
        let outcome = Mutex<Result<Void, any Error>?>(nil)
        let stopping = Task {
            let result = await stop()
            outcome.withLock { $0 = result }
        }
        _ = await eventually(limit) { outcome.withLock { $0 != nil } }
        _ = stopping
        return outcome.withLock { $0 }
    }
}

enum TestEnvironment {
    static let configMaps = GroupVersionResource(group: "", version: "v1", resource: "configmaps")
    static let leases = GroupVersionResource(group: "coordination.k8s.io", version: "v1", resource: "leases")

    static var logger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return logger
    }

    /// The package root (three levels above this file).
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    /// `$PETREL_VENV/bin/python`, or `<package root>/.petrel/venv/bin/python`, when it exists.
    static var python: String? {
        let venv = ProcessInfo.processInfo.environment["PETREL_VENV"].flatMap { $0.isEmpty ? nil : $0 }
            ?? packageRoot.appendingPathComponent(".petrel/venv").path
        let path = "\(venv)/bin/python"
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    /// The built `petrel-controller` next to the test bundle, or in `.build/debug`.
    static var controllerBinary: String? {
        var candidates: [String] = []
        if let executable = Bundle.main.executableURL {
            candidates.append(executable.deletingLastPathComponent().appendingPathComponent("petrel-controller").path)
        }
        if let first = CommandLine.arguments.first {
            candidates.append(URL(fileURLWithPath: first).deletingLastPathComponent().appendingPathComponent("petrel-controller").path)
        }
        candidates.append(packageRoot.appendingPathComponent(".build/debug/petrel-controller").path)
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A manager configuration on loopback ports chosen by the system, without signal handlers.
    static func configuration(leaderElection: LeaderElectionConfiguration? = nil) -> ManagerConfiguration {
        var configuration = ManagerConfiguration()
        configuration.metricsAddress = ListenAddress(host: "127.0.0.1", port: 0)
        configuration.healthAddress = ListenAddress(host: "127.0.0.1", port: 0)
        configuration.gracefulShutdownSignals = []
        configuration.leaderElection = leaderElection
        configuration.gracefulShutdownTimeout = .seconds(10)
        return configuration
    }

    static func randomName(_ prefix: String) -> String {
        "\(prefix)-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
    }

    static func createNamespace(_ name: String, client: KubeClient) async throws {
        _ = try await client.create(
            GroupVersionResource(group: "", version: "v1", resource: "namespaces"),
            ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]])
    }

    static func createConfigMap(_ name: String, namespace: String, client: KubeClient) async throws {
        _ = try await client.create(
            configMaps, namespace: namespace,
            [
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": ["name": .string(name), "namespace": .string(namespace)], "data": ["k": "v"],
            ])
    }
}

/// Runs a process to completion and returns its exit status and standard output.
///
/// The blocking reads and waits happen on a dedicated thread, never on the cooperative pool: with two cores a
/// blocked pool could not run the in-process server that the process (e.g. curl) is talking to.
func runProcess(_ path: String, _ arguments: [String], input: String? = nil) async throws -> (status: Int32, output: String) {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            do {
                continuation.resume(returning: try runProcessBlocking(path, arguments, input: input))
            } catch {
                continuation.resume(throwing: error)
            }
        }
        thread.start()
    }
}

private func runProcessBlocking(_ path: String, _ arguments: [String], input: String?) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let stdout = Pipe()
    process.standardOutput = stdout
    process.standardError = FileHandle.nullDevice
    let stdin = Pipe()
    if input != nil { process.standardInput = stdin }
    try process.run()
    if let input {
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
    }
    let data = stdout.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// GET `url` with curl; returns the status code and body.
func httpGet(_ url: String) async throws -> (status: Int, body: String) {
    let marker = "\n--petrel-status:"
    let result = try await runProcess("/usr/bin/curl", ["-s", "-m", "10", "-w", "\(marker)%{http_code}", url])
    guard let range = result.output.range(of: marker, options: .backwards) else { return (0, result.output) }
    return (Int(result.output[range.upperBound...]) ?? 0, String(result.output[..<range.lowerBound]))
}
