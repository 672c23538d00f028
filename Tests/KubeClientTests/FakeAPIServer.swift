import Foundation
import KubeClient
import KubeCore
import Logging

/// Runs `Resources/fake_apiserver.py` (canned responses over real HTTP/1.1) on a free loopback port.
struct FakeAPIServer {
    let port: Int
    var url: String { "http://127.0.0.1:\(port)" }

    static func with<T>(_ body: (FakeAPIServer) async throws -> T) async throws -> T {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Resources/fake_apiserver.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        defer {
            try? input.fileHandleForWriting.close()
            process.terminate()
            process.waitUntilExit()
        }
        var line: [UInt8] = []
        while true {
            let byte = try output.fileHandleForReading.read(upToCount: 1) ?? Data()
            guard let first = byte.first, first != 10 else { break }
            line.append(first)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            throw KubeClientError.configuration("fake API server did not print its port")
        }
        return try await body(FakeAPIServer(port: port))
    }

    /// A client for this server.
    func client(authentication: KubeConfig.Authentication = .bearerToken("s3cr3t-token"), timeout: Duration = .seconds(30))
        throws -> KubeClient
    {
        var config = KubeConfig(server: url, namespace: "ns", authentication: authentication, timeout: timeout)
        config.maxRetries = 3
        return try KubeClient(config: config, logger: Logger(label: "test"))
    }

    /// The requests the server has seen, in order.
    func requests(using client: KubeClient) async throws -> [[String: String]] {
        let json = try await client.rawGet("/_requests")
        return (json["requests"]?.arrayValue ?? []).map { record in
            var result: [String: String] = [:]
            for (key, value) in record.objectValue ?? JSONObject() where key != "query" {
                result[key] = value.stringValue ?? ""
            }
            for (key, value) in record["query"]?.objectValue ?? JSONObject() {
                result["?" + key] = value.stringValue ?? ""
            }
            return result
        }
    }
}
