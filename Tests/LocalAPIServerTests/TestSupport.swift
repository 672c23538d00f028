import Foundation
import KubeCore
import LocalAPIServer
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A running in-process server plus a temporary directory holding its kubeconfig.
struct TestCluster: Sendable {
    let url: URL
    let directory: URL
    var kubeconfig: String { directory.appendingPathComponent("kubeconfig").path }

    /// Starts a server on 127.0.0.1:0, writes a kubeconfig, runs `body`, then cleans up.
    static func with<T: Sendable>(
        configuration: LocalAPIServer.Configuration = .init(), _ body: @Sendable (TestCluster) async throws -> T
    ) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "petrel-apiserver-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await LocalAPIServer.withRunning(configuration: configuration) { url in
            let cluster = TestCluster(url: url, directory: directory)
            try LocalAPIServer.writeKubeconfig(for: url, to: cluster.kubeconfig)
            return try await body(cluster)
        }
    }

    /// The result of running a tool.
    struct Output: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    private func environment() -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["KUBECONFIG"] = kubeconfig
        env["HOME"] = directory.path
        env["KUBECACHEDIR"] = directory.appendingPathComponent("cache").path
        return env
    }

    /// Runs `/usr/bin/kubectl` with `args` (and `stdin`), waiting for it to exit.
    func kubectl(_ args: [String], stdin: String? = nil) async throws -> Output {
        try await run("/usr/bin/kubectl", args, stdin: stdin)
    }

    func run(_ executable: String, _ args: [String], stdin: String? = nil, extraEnv: [String: String] = [:])
        async throws -> Output
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = args
        process.environment = environment().merging(extraEnv) { $1 }
        let id = UUID().uuidString
        let outURL = directory.appendingPathComponent("out-\(id)")
        let errURL = directory.appendingPathComponent("err-\(id)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)
        process.standardOutput = outHandle
        process.standardError = errHandle
        if let stdin {
            let inURL = directory.appendingPathComponent("in-\(id)")
            try stdin.write(to: inURL, atomically: true, encoding: .utf8)
            process.standardInput = try FileHandle(forReadingFrom: inURL)
        }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        try outHandle.close()
        try errHandle.close()
        return Output(
            status: process.terminationStatus, stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }

    /// Starts `kubectl` in the background; returns the process and the file its output goes to.
    func startKubectl(_ args: [String]) throws -> (Process, URL) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/kubectl")
        process.arguments = args
        process.environment = environment()
        let outURL = directory.appendingPathComponent("bg-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        let handle = try FileHandle(forWritingTo: outURL)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return (process, outURL)
    }

    /// Sends one HTTP request and returns the status code and parsed body.
    func http(
        _ method: String, _ path: String, body: [UInt8]? = nil, contentType: String = "application/json",
        accept: String = "application/json"
    ) async throws -> (Int, JSONValue) {
        var request = URLRequest(url: URL(string: url.absoluteString + path)!)
        request.httpMethod = method
        request.setValue(contentType, forHTTPHeaderField: "Content-Type")
        request.setValue(accept, forHTTPHeaderField: "Accept")
        if let body { request.httpBody = Data(body) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let value = (try? JSONParser.parse(Array(data))) ?? .string(String(decoding: data, as: UTF8.self))
        return (status, value)
    }

    func http(_ method: String, _ path: String, json: JSONValue, contentType: String = "application/json") async throws
        -> (Int, JSONValue)
    {
        try await http(method, path, body: JSONSerializer.bytes(json), contentType: contentType)
    }
}

/// Polls `condition` until it holds or `seconds` pass.
func eventually(seconds: Double = 60, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(100))
    }
    return false
}

/// The test CRD: `widgets.test.petrel.dev`, namespaced, with printer columns, a status subresource and a schema.
let widgetCRD = """
    apiVersion: apiextensions.k8s.io/v1
    kind: CustomResourceDefinition
    metadata:
      name: widgets.test.petrel.dev
    spec:
      group: test.petrel.dev
      scope: Namespaced
      names:
        plural: widgets
        singular: widget
        kind: Widget
        shortNames: [wd]
        categories: [petrel]
      versions:
      - name: v1
        served: true
        storage: true
        subresources:
          status: {}
        additionalPrinterColumns:
        - name: Size
          type: integer
          jsonPath: .spec.size
        - name: Ready
          type: string
          jsonPath: .status.conditions[?(@.type=="Ready")].status
        - name: Age
          type: date
          jsonPath: .metadata.creationTimestamp
        schema:
          openAPIV3Schema:
            type: object
            properties:
              spec:
                type: object
                required: [size]
                properties:
                  size:
                    type: integer
                  color:
                    type: string
                    enum: [red, green, blue]
                  code:
                    type: string
                    pattern: "^[a-z]+$"
              status:
                type: object
                x-kubernetes-preserve-unknown-fields: true
    """

/// The package root, for locating the Python venv.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The Python interpreter of the venv from `PETREL_VENV` (or `<package root>/.petrel/venv`), if present.
let venvPython: String? = {
    let venv =
        ProcessInfo.processInfo.environment["PETREL_VENV"] ?? packageRoot.appendingPathComponent(".petrel/venv").path
    let python = venv + "/bin/python"
    return FileManager.default.isExecutableFile(atPath: python) ? python : nil
}()
