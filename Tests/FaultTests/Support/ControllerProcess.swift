import Foundation
import PetrelTesting

/// `petrel-controller` as a child process: both controllers, the artifact server, `/readyz` and `/metrics` on free
/// loopback ports.
final class ControllerProcess: @unchecked Sendable {
    let process: PetrelProcess
    let healthPort: Int
    let metricsPort: Int
    let storagePort: Int

    /// Starts the controller with `kubeconfig`.
    /// - Parameters:
    ///   - leaderElection: `--leader-elect` (with the Lease `petrel-controller` in `default`) or `--no-leader-elect`.
    ///   - extraArguments: further flags, e.g. `--watch-idle-timeout 3s`.
    init(
        kubeconfig: String, directory: URL, name: String = "controller", storagePort: Int? = nil,
        leaderElection: Bool = false, gracefulShutdownTimeout: String = "10s", extraArguments: [String] = []
    ) throws {
        healthPort = try TestCommand.freePort()
        metricsPort = try TestCommand.freePort()
        self.storagePort = try storagePort ?? TestCommand.freePort()
        let storage = directory.appendingPathComponent("\(name)-storage")
        try FileManager.default.createDirectory(at: storage, withIntermediateDirectories: true)
        var arguments = [
            "--kubeconfig", kubeconfig, "--log-encoding", "console", "--log-level", "info",
            "--storage-path", storage.path, "--storage-addr", "127.0.0.1:\(self.storagePort)",
            "--storage-adv-addr", "127.0.0.1:\(self.storagePort)",
            "--metrics-addr", "127.0.0.1:\(metricsPort)", "--health-addr", "127.0.0.1:\(healthPort)",
            "--graceful-shutdown-timeout", gracefulShutdownTimeout, "--requeue-dependency", "2s",
        ]
        if leaderElection {
            arguments += [
                "--leader-elect", "--leader-election-namespace", "default", "--leader-election-id", "petrel-controller",
                "--lease-duration", "15s", "--renew-deadline", "10s", "--retry-period", "1s",
            ]
        } else {
            arguments.append("--no-leader-elect")
        }
        process = try PetrelProcess(
            "petrel-controller", name: name, arguments: arguments + extraArguments, directory: directory)
    }

    var isRunning: Bool { process.isRunning }
    var log: String { process.stderr + process.stdout }

    /// GETs a path of the health or metrics endpoint with curl; nil when nothing answers.
    static func get(_ url: String) async -> (status: Int, body: String)? {
        let marker = "\n--petrel-status:"
        guard
            let output = try? await TestCommand.runDetached(
                "/usr/bin/curl", ["-s", "-m", "5", "-w", "\(marker)%{http_code}", url]),
            let range = output.range(of: marker, options: .backwards)
        else { return nil }
        return (Int(output[range.upperBound...]) ?? 0, String(output[..<range.lowerBound]))
    }

    /// Waits until `/readyz` answers 200 (every informer synced).
    func waitUntilReady(within limit: Duration = .seconds(90)) async throws {
        _ = try await eventually("petrel-controller /readyz", timeout: limit, poll: .milliseconds(200)) {
            () async throws -> Bool? in
            guard process.isRunning else {
                throw FaultTestError( "petrel-controller exited: \(log.suffix(3000))")
            }
            return await Self.get("http://127.0.0.1:\(healthPort)/readyz")?.status == 200 ? true : nil
        }
    }

    /// The `/metrics` samples whose name is `name`, keyed by their label text (`resource="..."`).
    func metric(_ name: String) async -> [String: Double] {
        guard let text = await Self.get("http://127.0.0.1:\(metricsPort)/metrics")?.body else { return [:] }
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            let rest = line.dropFirst(name.count)
            guard rest.first == "{" || rest.first == " ", let space = rest.lastIndex(of: " ") else { continue }
            let labels = rest.first == "{" ? String(rest[rest.index(after: rest.startIndex)..<(rest.firstIndex(of: "}") ?? space)]) : ""
            samples[labels] = Double(rest[rest.index(after: space)...])
        }
        return samples
    }
}
