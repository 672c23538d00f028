import Foundation
import KubeClient
import KubeCore
import LocalAPIServer
import Logging
import Testing

@Suite("The petrel-controller binary")
struct ControllerBinaryTests {
    /// Every flag of the contract the Helm chart renders.
    static let contractFlags = [
        "--kubeconfig", "--context", "--concurrency", "--leader-elect", "--no-leader-elect",
        "--leader-election-namespace", "--leader-election-id", "--lease-duration", "--renew-deadline",
        "--retry-period", "--metrics-addr", "--health-addr", "--watch-label-selector", "--log-level",
        "--log-encoding", "--storage-path", "--storage-addr", "--storage-adv-addr", "--requeue-dependency",
        "--build-timeout", "--no-cross-namespace-refs", "--no-remote-bases", "--default-service-account", "--require-secret-url-binding",
        "--kube-api-qps",
        "--kube-api-burst", "--graceful-shutdown-timeout", "--watch-idle-timeout", "--controllers",
    ]

    @Test(
        "--help lists every flag of the contract",
        .enabled(if: TestEnvironment.controllerBinary != nil, "needs the built petrel-controller (swift build)"))
    func helpListsFlags() async throws {
        let binary = try #require(TestEnvironment.controllerBinary)
        let help = try await runProcess(binary, ["--help"])
        #expect(help.status == 0)
        for flag in Self.contractFlags {
            #expect(help.output.contains(flag), "missing \(flag) in:\n\(help.output)")
        }
    }

    @Test(
        "a bad flag value exits 64 with a message naming the flag",
        .enabled(if: TestEnvironment.controllerBinary != nil, "needs the built petrel-controller (swift build)"))
    func badFlag() async throws {
        let binary = try #require(TestEnvironment.controllerBinary)
        let result = try await runProcess(binary, ["--lease-duration", "fifteen"])
        #expect(result.status == 64)
    }

    @Test(
        "SIGTERM makes the running binary release its lease and exit 0 within seconds, logging JSON lines",
        .enabled(if: TestEnvironment.controllerBinary != nil, "needs the built petrel-controller (swift build)"))
    func sigterm() async throws {
        let binary = try #require(TestEnvironment.controllerBinary)
        try await LocalAPIServer.withRunning { url in
            let client = try KubeClient(config: KubeConfig(server: url.absoluteString), logger: TestEnvironment.logger)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                TestEnvironment.randomName("petrel-controller"))
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let kubeconfig = directory.appendingPathComponent("kubeconfig").path
            try LocalAPIServer.writeKubeconfig(for: url, to: kubeconfig)

            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = [
                "--kubeconfig", kubeconfig, "--leader-election-namespace", "default",
                "--metrics-addr", "127.0.0.1:0", "--health-addr", "127.0.0.1:0", "--storage-path", directory.path,
                "--graceful-shutdown-timeout", "5s", "--log-level", "debug",
            ]
            let stderr = Pipe()
            process.standardError = stderr
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let holderSeen = await eventually {
                let lease = try? await client.get(TestEnvironment.leases, namespace: "default", name: "petrel-controller")
                return !(lease?[path: ["spec", "holderIdentity"]]?.stringValue ?? "").isEmpty
            }
            #expect(holderSeen, "the binary acquires its lease")
            process.terminate()  // SIGTERM
            // A generous bound that only catches a hang; the shutdown time is measured by `make chaos`.
            let exited = await eventually(.seconds(45)) { !process.isRunning }
            #expect(exited, "the binary did not exit within 45 s of SIGTERM")
            if !exited { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            #expect(process.terminationReason == .exit)
            #expect(process.terminationStatus == 0)
            let lease = try await client.get(TestEnvironment.leases, namespace: "default", name: "petrel-controller")
            #expect(lease[path: ["spec", "holderIdentity"]]?.stringValue == "", "the lease is released on exit")

            let log = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let lines = log.split(separator: "\n")
            #expect(!lines.isEmpty)
            for line in lines {
                let object = try? JSONParser.parse(String(line))
                #expect(object?["msg"]?.stringValue != nil, "not a JSON log line: \(line)")
            }
            #expect(log.contains("became leader"))
            try await client.shutdown()
        }
    }
}
