import Foundation
import PetrelTesting
import KubeCore
import Testing

/// Runs Helm's real engine (helm-python-sdk, Helm v4 as a C library) on `charts/petrel` through the project venv.
enum Helm {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let chart = repositoryRoot.appendingPathComponent("charts/petrel")

    /// `$PETREL_VENV`, else `<package root>/.petrel/venv`.
    static let venv: URL = {
        if let path = ProcessInfo.processInfo.environment["PETREL_VENV"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return repositoryRoot.appendingPathComponent(".petrel/venv")
    }()
    static let python = venv.appendingPathComponent("bin/python").path
    static let available: Bool = {
        guard FileManager.default.isExecutableFile(atPath: python) else { return false }
        return (try? runSync(python, ["-c", "import helm_python, yaml"]).status) == 0
    }()
    static let skipReason: Comment =
        "needs helm-python-sdk and PyYAML in $PETREL_VENV or .petrel/venv (run scripts/bootstrap.sh)"

    /// The helper each test calls: `lint`, `render` or `install`, with JSON arguments; it prints one JSON document.
    static let script = #"""
        import json, sys, time
        import helm_python as helm
        import yaml
        mode, chart, values, name, namespace, extra = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
        try:
            if mode == "lint":
                print(json.dumps(helm.lint(chart, values, strict=True, namespace=namespace, kube_version="v1.30.0")))
            elif mode == "render":
                started = time.perf_counter()
                with helm.Chart.load(chart) as loaded:
                    files = loaded.render(values, name=name, namespace=namespace, is_install=True)
                seconds = time.perf_counter() - started
                objects = []
                for path in sorted(files):
                    if path.endswith("NOTES.txt"):
                        continue
                    objects += [doc for doc in yaml.safe_load_all(files[path]) if doc]
                notes = "".join(v for k, v in files.items() if k.endswith("NOTES.txt"))
                manifest = "\n---\n".join(files[k] for k in sorted(files) if not k.endswith("NOTES.txt"))
                print(json.dumps({"objects": objects, "seconds": seconds, "notes": notes, "manifest": manifest}))
            elif mode == "install":
                with helm.Config(kubeconfig_path=extra, namespace=namespace) as config:
                    release = config.install(chart, name, values, namespace=namespace, timeout=60)
                print(json.dumps({"status": release.get("status"), "revision": release.get("revision")}))
        except helm.HelmError as error:
            print(json.dumps({"error": type(error).__name__, "message": str(error)}))
        """#

    /// Runs the helper and parses its output.
    static func call(
        _ mode: String, values: JSONValue = [:], name: String = "petrel", namespace: String = "petrel-system",
        extra: String = "", chartPath: String = chart.path
    ) async throws -> JSONValue {
        let output = try await run(
            python, ["-c", script, mode, chartPath, JSONSerializer.string(values), name, namespace, extra])
        try #require(output.status == 0, "python helper failed: \(output.stderr)")
        return try JSONParser.parse(Array(output.stdout.utf8))
    }

    /// Renders the chart and returns the objects (NOTES excluded) and the render time.
    static func render(_ values: JSONValue = [:], namespace: String = "petrel-system") async throws
        -> (objects: [JSONValue], seconds: Double)
    {
        let result = try await renderRaw(values, namespace: namespace)
        return (result["objects"]?.arrayValue ?? [], result["seconds"]?.doubleValue ?? -1)
    }

    /// The helper's whole render result: `objects`, `seconds`, `notes` and the YAML `manifest`.
    static func renderRaw(_ values: JSONValue = [:], namespace: String = "petrel-system") async throws -> JSONValue {
        let result = try await call("render", values: values, namespace: namespace)
        try #require(result["error"] == nil, "render failed: \(result["message"]?.stringValue ?? "")")
        return result
    }

    typealias Output = ProcessOutput

    /// Runs a program with output in temporary files, waiting off the cooperative pool.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) async throws
        -> Output
    {
        try await TestCommand.output(executable, arguments, environment: environment)
    }

    static func runSync(_ executable: String, _ arguments: [String]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: "", stderr: "")
    }
}

/// Lookups in a rendered object set.
extension Array where Element == JSONValue {
    func object(kind: String, name: String) -> JSONValue? {
        first { $0["kind"]?.stringValue == kind && $0.kube.name == name }
    }

    func objects(kind: String) -> [JSONValue] {
        filter { $0["kind"]?.stringValue == kind }
    }
}

extension JSONValue {
    /// The manager container's args of a rendered Deployment.
    var managerArgs: [String] {
        let containers = self[path: ["spec", "template", "spec", "containers"]]?.arrayValue ?? []
        return containers.first?["args"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }
}
