import Foundation
import KubeCore
import Testing

@testable import Kustomize

/// Behaviour with no kubectl oracle: refusals, bounds, and Flux's build of a directory without a kustomization.
@Suite("Builder refusals and bounds")
struct BuilderTests {
    /// Runs `body` with a fresh temporary directory, removed afterwards.
    func withTemporaryDirectory(_ body: (URL) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kustomize-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try body(directory)
    }

    func write(_ text: String, _ path: String, in root: URL) throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    func buildError(root: URL, path: String = ".", options: KustomizeOptions = KustomizeOptions()) -> KustomizeError? {
        do {
            _ = try KustomizeBuilder(options).build(root: root, path: path)
            return nil
        } catch {
            return error
        }
    }

    let configMap = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"

    @Test("helm charts are refused with a message naming the file and field")
    func helmCharts() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Refusals/helm")
        let error = try #require(buildError(root: root))
        #expect(error.reason == "Unsupported")
        #expect(error.message.contains("kustomization.yaml") && error.message.contains("'helmCharts'"))
    }

    @Test("a resource path leaving the root is refused")
    func escapingPath() throws {
        try withTemporaryDirectory { dir in
            try write(configMap, "outside.yaml", in: dir)
            try write("resources:\n- ../outside.yaml\n", "root/kustomization.yaml", in: dir)
            let error = buildError(root: dir.appendingPathComponent("root"))
            #expect(error == .pathEscapesRoot(path: "../outside.yaml"))
        }
    }

    @Test("a symlink pointing outside the root is refused")
    func escapingSymlink() throws {
        try withTemporaryDirectory { dir in
            try write(configMap, "outside.yaml", in: dir)
            try write("resources:\n- link.yaml\n", "root/kustomization.yaml", in: dir)
            try FileManager.default.createSymbolicLink(
                atPath: dir.appendingPathComponent("root/link.yaml").path,
                withDestinationPath: dir.appendingPathComponent("outside.yaml").path)
            #expect(buildError(root: dir.appendingPathComponent("root"))?.reason == "PathEscapesRoot")
        }
    }

    @Test("files over the size bound are refused")
    func fileSize() throws {
        try withTemporaryDirectory { dir in
            try write(
                configMap + "data:\n  big: \"" + String(repeating: "x", count: 5000) + "\"\n", "big.yaml", in: dir)
            try write("resources:\n- big.yaml\n", "kustomization.yaml", in: dir)
            let error = buildError(root: dir, options: KustomizeOptions(maxFileSize: 1024))
            #expect(error == .fileTooLarge(path: "big.yaml", limit: 1024))
        }
    }

    @Test("YAML alias expansion is bounded")
    func aliasBomb() throws {
        var text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        var previous = "a"
        for level in "bcdefghi" {
            let name = String(level)
            text += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]\n"
            previous = name
        }
        #expect(throws: KustomizeError.yamlTooComplex(file: "bomb.yaml")) {
            try YAMLCodec.parseStream(text, file: "bomb.yaml", maxNodes: 100_000)
        }
    }

    @Test("malformed YAML names the file and line")
    func malformed() throws {
        try withTemporaryDirectory { dir in
            try write("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [oops\n", "bad.yaml", in: dir)
            try write("resources:\n- bad.yaml\n", "kustomization.yaml", in: dir)
            guard case .malformedYAML(let file, let line, _) = buildError(root: dir) else {
                Issue.record("expected malformedYAML")
                return
            }
            #expect(file == "bad.yaml")
            #expect(line != nil)
        }
    }

    @Test("remote resources, helm charts and plugins are refused")
    func refusals() throws {
        try withTemporaryDirectory { dir in
            for (field, body) in [
                ("resources", "resources:\n- github.com/example/repo//deploy?ref=main\n"),
                ("helmCharts", "helmCharts:\n- name: x\n"),
                ("transformers", "transformers:\n- t.yaml\n"),
                ("generators", "generators:\n- g.yaml\n"),
                ("generators", "generators:\n- |-\n  apiVersion: builtin\n  kind: HelmChartInflationGenerator\n"
                    + "  metadata:\n    name: chart\n"),
            ] {
                // An exec plugin's configuration: only `apiVersion: builtin` ones run.
                let plugin = "apiVersion: example.com/v1\nkind: Exec\nmetadata:\n  name: p\n"
                try write(plugin, "t.yaml", in: dir)
                try write(plugin, "g.yaml", in: dir)
                try write(body, "kustomization.yaml", in: dir)
                let error = try #require(buildError(root: dir))
                #expect(error.reason == "Unsupported", "\(field)")
                #expect(error.message.contains(field))
            }
        }
    }

    @Test("a directory without a kustomization builds every manifest below it, Flux-style")
    func generatedKustomization() throws {
        try withTemporaryDirectory { dir in
            try write(configMap, "a/cm.yaml", in: dir)
            try write("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns\n", "ns.yml", in: dir)
            try write("ignored", "README.md", in: dir)
            try write("namePrefix: k-\nresources:\n- sa.yaml\n", "b/kustomization.yaml", in: dir)
            try write("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa\n", "b/sa.yaml", in: dir)
            try write(configMap.replacingOccurrences(of: "name: c", with: "name: never"), "b/unlisted.yaml", in: dir)
            let documents = try KustomizeBuilder().build(root: dir, path: ".")
            let names = documents.map {
                "\($0["kind"]?.stringValue ?? "")/\($0[path: ["metadata", "name"]]?.stringValue ?? "")"
            }
            #expect(names == ["Namespace/ns", "ServiceAccount/k-sa", "ConfigMap/c"])
        }
    }

    @Test("a missing build path is reported")
    func missingPath() throws {
        try withTemporaryDirectory { dir in
            #expect(buildError(root: dir, path: "nope") == .fileNotFound(path: "nope"))
        }
    }
}
