import KubeCore
import Testing

@testable import Kustomize

@Suite("Strategic merge patches")
struct StrategicMergeTests {
    func parse(_ text: String) throws -> JSONValue {
        try #require(try YAMLCodec.parseStream(text, file: "test").first)
    }

    @Test("containers merge by name: patch elements first, then the rest of the target")
    func containersByName() throws {
        let target = try parse("spec:\n  containers:\n  - {name: a, image: x}\n  - {name: b, image: y}\n")
        let patch = try parse("spec:\n  containers:\n  - {name: b, image: z}\n  - {name: c, image: w}\n")
        let merged = try #require(StrategicMerge.merge(target, patch))
        let names = merged[path: ["spec", "containers"]]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        #expect(names == ["b", "c", "a"])
        #expect(merged[path: ["spec", "containers"]]?.arrayValue?.first?["image"] == "z")
    }

    @Test("null deletes a key and $patch: delete removes a list element")
    func deletions() throws {
        let target = try parse("a: 1\nb: 2\nvolumes:\n- {name: v1}\n- {name: v2}\n")
        let patch = try parse("a: null\nvolumes:\n- {name: v1, $patch: delete}\n")
        let merged = try #require(StrategicMerge.merge(target, patch))
        #expect(merged["a"] == nil)
        #expect(merged["b"] == 2)
        #expect(merged["volumes"]?.arrayValue?.count == 1)
        #expect(merged["volumes"]?.arrayValue?.first?["name"] == "v2")
    }

    @Test("$patch: replace on an object replaces it whole; lists without a merge key are replaced")
    func replacements() throws {
        let target = try parse("spec:\n  m: {a: 1, b: 2}\n  args: [x, y]\n")
        let patch = try parse("spec:\n  m: {c: 3, $patch: replace}\n  args: [z]\n")
        let merged = try #require(StrategicMerge.merge(target, patch))
        #expect(merged[path: ["spec", "m"]] == ["c": 3])
        #expect(merged[path: ["spec", "args"]] == ["z"])
    }

    @Test("ports merge by containerPort, volume mounts by mountPath")
    func mergeKeys() throws {
        let target = try parse("ports:\n- {containerPort: 80, name: http}\nvolumeMounts:\n- {mountPath: /a, name: x}\n")
        let patch = try parse(
            "ports:\n- {containerPort: 80, protocol: TCP}\nvolumeMounts:\n- {mountPath: /a, readOnly: true}\n")
        let merged = try #require(StrategicMerge.merge(target, patch))
        #expect(merged["ports"] == [["containerPort": 80, "name": "http", "protocol": "TCP"]])
        #expect(merged["volumeMounts"] == [["mountPath": "/a", "name": "x", "readOnly": true]])
    }

    @Test("JSON 6902 operations apply in order and report bad paths")
    func jsonPatch() throws {
        let document = try parse("a:\n  b: [1, 2]\n  'c/d': x\n")
        let ops = try parse(
            "- {op: add, path: /a/b/-, value: 3}\n- {op: remove, path: /a/b/0}\n- {op: replace, path: /a/c~1d, value: y}\n- {op: move, from: /a/c~1d, path: /e}\n"
        )
        let result = try JSONPatch.apply(try #require(ops.arrayValue), to: document)
        #expect(result[path: ["a", "b"]] == [2, 3])
        #expect(result["e"] == "y")
        #expect(result[path: ["a", "c/d"]] == nil)
        #expect(throws: JSONPatch.PatchError.self) {
            try JSONPatch.apply([["op": "remove", "path": "/missing/x"]], to: document)
        }
    }
}
