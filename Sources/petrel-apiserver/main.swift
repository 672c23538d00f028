import ArgumentParser
import Foundation
import LocalAPIServer
import Logging

/// `petrel-apiserver`: runs the local Kubernetes-compatible API server and prints the URL it listens on.
@main
struct PetrelAPIServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "petrel-apiserver", abstract: "Run Petrel's local Kubernetes-compatible API server.")

    @Option(help: "The port to listen on; 0 picks a free port.")
    var port: Int = 0

    @Option(help: "The address to bind.")
    var host: String = "127.0.0.1"

    @Option(help: "Directory where objects are kept across restarts (state.jsonl); default: memory only.")
    var dataDir: String?

    @Option(help: "Write a kubeconfig pointing at the server to this path.")
    var writeKubeconfig: String?

    @Option(help: "How many recent changes a watch can resume from.")
    var watchHistory: Int = 10_000

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard watchHistory > 0 else { throw ValidationError("--watch-history must be positive") }
    }

    func run() async throws {
        var logger = Logger(label: "petrel.apiserver")
        logger.logLevel = .warning
        if let dataDir {
            try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        }
        let server = try LocalAPIServer(
            configuration: .init(watchHistory: watchHistory, dataDirectory: dataDir), logger: logger)
        let kubeconfig = writeKubeconfig
        try await server.run(host: host, port: port) { url in
            if let kubeconfig {
                do {
                    try LocalAPIServer.writeKubeconfig(for: url, to: kubeconfig)
                } catch {
                    FileHandle.standardError.write(Data("petrel-apiserver: \(error)\n".utf8))
                }
            }
            FileHandle.standardOutput.write(Data((url.absoluteString + "\n").utf8))
        }
    }
}
