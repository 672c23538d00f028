import Foundation
import PetrelTesting
import Testing

/// `petrel build DIR` on trees built to cost hours (exponential bases, YAML keys that Yams hashed whole, a
/// backtracking patch target): each ends in seconds with an error naming the file and the limit, or builds.
@Suite("petrel build on hostile trees", .enabled(if: FileManager.default.isExecutableFile(atPath: petrelBinary), "needs the built petrel binary"))
struct BuildLimitTests {
    /// Runs `petrel build DIR` under `timeout 120` (exit 124 means it hung).
    func build(_ files: [String: String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-hostile-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        for (path, text) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        // A Git work tree, so the build root is the whole tree (outside one it would be `l0` alone).
        try TestCommand.run("/usr/bin/git", ["init", "-q", root.path])
        let start = files.keys.contains("l0/kustomization.yaml") ? root.appendingPathComponent("l0") : root
        return try await run("/usr/bin/timeout", ["120", petrelBinary, "build", start.path])
    }

    static func configMap(_ name: String, data: String = "  k: v") -> String {
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \(name)\ndata:\n\(data)\n"
    }

    @Test("a tree where each level includes the next twice stops at the resource budget")
    func exponentialBases() async throws {
        var files: [String: String] = [:]
        for level in 0..<30 {
            files["l\(level)/kustomization.yaml"] = "resources: [a, b]\n"
            for side in ["a", "b"] {
                files["l\(level)/\(side)/kustomization.yaml"] = "namePrefix: \(side)-\nresources: [../../l\(level + 1)]\n"
            }
        }
        files["l30/kustomization.yaml"] = "resources: [cm.yaml]\n"
        files["l30/cm.yaml"] = Self.configMap("leaf")
        let result = try await build(files)
        #expect(result.status == 1, "exit \(result.status) (124: it hung)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("went over its limit of 100000 resources loaded"), "\(result.stderr)")
    }

    @Test("collection keys, nested or aliased, are refused with the file and line")
    func collectionKeys() async throws {
        var key = "[" + Array(repeating: "ab", count: 200_000).joined(separator: ",") + "]"
        for _ in 0..<400 { key = "{? " + key + " : x}" }
        let nested = try await build([
            "kustomization.yaml": "resources: [cm.yaml]\n", "cm.yaml": Self.configMap("n", data: "  k: \(key)"),
        ])
        #expect(nested.status == 1, "exit \(nested.status) (124: it hung)")
        #expect(nested.stderr.contains("cm.yaml' line 6: invalid YAML: a mapping or sequence used as a mapping key"))

        var laughs = "  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...8 {
            laughs += "  a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        let aliased = try await build([
            "kustomization.yaml": "resources: [cm.yaml]\n", "cm.yaml": Self.configMap("b", data: laughs + "  bomb: {*a8 : x}"),
        ])
        #expect(aliased.status == 1, "exit \(aliased.status) (124: it hung)")
        #expect(aliased.stderr.contains("cm.yaml': YAML alias expansion or nesting exceeds the limit"), "\(aliased.stderr)")
    }

    @Test("a backtracking patch target is matched in linear time")
    func backtrackingTarget() async throws {
        let objects = (0..<60).map { Self.configMap(String(repeating: "a", count: 40) + "c\($0)") }
        let result = try await build([
            "objects.yaml": objects.joined(separator: "---\n"),
            "kustomization.yaml": """
                resources: [objects.yaml]
                patches:
                - target:
                    name: "(a|a)+b"
                  patch: |
                    - op: add
                      path: /data/x
                      value: y
                """,
        ])
        #expect(result.status == 0, "exit \(result.status) (124: it hung): \(result.stderr)")
        #expect(result.stdout.components(separatedBy: "kind: ConfigMap").count == 61)
        #expect(!result.stdout.contains("x: y"))
    }
}
