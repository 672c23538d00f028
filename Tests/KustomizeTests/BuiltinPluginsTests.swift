import Foundation
import KubeCore
import Testing

@testable import Kustomize

/// Builtin plugin configurations: refusals, hostile values and the helpers kubectl has no direct oracle for.
@Suite("Builtin plugin configurations")
struct BuiltinPluginsTests {
    func build(_ files: [String: String], options: KustomizeOptions = KustomizeOptions()) throws(KustomizeError)
        -> [JSONValue]
    {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("plugins-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        for (path, text) in files {
            let url = root.appendingPathComponent(path)
            try? FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? text.write(to: url, atomically: true, encoding: .utf8)
        }
        return try KustomizeBuilder(options).build(root: root, path: ".")
    }

    let configMap = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"

    @Test("non-builtin and Helm plugin configurations are refused naming the field, inline or in a file")
    func refusals() {
        let cases: [(String, String)] = [
            (
                "transformers",
                "transformers:\n- |-\n  apiVersion: example.com/v1\n  kind: Exec\n  metadata:\n    name: x\n"
            ),
            (
                "generators",
                "generators:\n- |-\n  apiVersion: builtin\n  kind: HelmChartInflationGenerator\n"
                    + "  metadata:\n    name: chart\n"
            ),
            (
                "transformers",
                "transformers:\n- |-\n  apiVersion: builtin\n  kind: NoSuchTransformer\n"
                    + "  metadata:\n    name: x\n"
            ),
        ]
        for (field, kustomization) in cases {
            let result = Result { () throws(KustomizeError) in
                try build(["kustomization.yaml": "resources:\n- cm.yaml\n" + kustomization, "cm.yaml": configMap])
            }
            guard case .failure(let error) = result else {
                Issue.record("expected a refusal for \(kustomization)")
                continue
            }
            #expect(error.message.contains("'\(field)'"), "\(error.message)")
        }
    }

    @Test("a transformers entry naming its own directory is a cycle, not a hang")
    func selfReference() {
        let result = Result { () throws(KustomizeError) in
            try build(["kustomization.yaml": "resources:\n- cm.yaml\ntransformers:\n- .\n", "cm.yaml": configMap])
        }
        guard case .failure(let error) = result else {
            Issue.record("expected a cycle error")
            return
        }
        #expect(error.reason == "Cycle")
    }

    @Test("hostile numbers in configurations neither trap nor loop")
    func hostileValues() throws {
        let objects = try build([
            "kustomization.yaml": """
            resources:
            - cm.yaml
            transformers:
            - |-
              apiVersion: builtin
              kind: ValueAddTransformer
              metadata:
                name: v
              value: x
              targets:
              - fieldPath: data/path
                filePathPosition: 9223372036854775807
            """,
            "cm.yaml": configMap + "data:\n  path: a/b\n",
        ])
        #expect(objects.first?[path: ["data", "path"]] == "a/b/x")
    }

    @Test("ValueAdd inserts a path part as kustomize counts positions")
    func insertPathPart() {
        #expect(ValueAdd.insertPathPart("a/b/c", at: 0, "x") == "x/a/b/c")
        #expect(ValueAdd.insertPathPart("/a/b/c", at: 0, "x") == "/x/a/b/c")
        #expect(ValueAdd.insertPathPart("/a/b/c", at: 1, "x") == "/a/x/b/c")
        #expect(ValueAdd.insertPathPart("a/b", at: 99, "x") == "a/b/x")
        #expect(ValueAdd.insertPathPart("", at: 0, "x") == "x")
        #expect(
            FieldSpec.split(#"metadata/annotations/example.com\/key"#) == [
                "metadata", "annotations", "example.com/key",
            ])
    }

    @Test("generated base64 is cut into lines of 70 from 70 characters on")
    func base64Lines() {
        #expect(Generators.base64Lines(Array("abc".utf8)) == "YWJj")
        let fiftyTwo = Generators.base64Lines(Array(repeating: UInt8(ascii: "a"), count: 52))
        #expect(fiftyTwo.split(separator: "\n").map(\.count) == [70, 2])
        #expect(fiftyTwo.hasSuffix("\n"))
        // 51 bytes encode to 68 characters: one line, no newline.
        #expect(!Generators.base64Lines(Array(repeating: UInt8(ascii: "a"), count: 51)).contains("\n"))
    }
}
