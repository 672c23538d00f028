import Testing

@testable import KubeCore

/// The API server's flavour of the one strategic-merge implementation (kustomize's is tested in KustomizeTests
/// and against `kubectl kustomize`), plus merge and JSON patches.
@Suite("Patches")
struct PatchTests {
    func json(_ text: String) throws -> JSONValue { try JSONParser.parse(text) }

    @Test("the API server keeps the target's list order and appends new elements; kustomize puts the patch first")
    func listOrder() throws {
        let target = try json(#"{"containers":[{"name":"a","image":"x"},{"name":"b","image":"y"}]}"#)
        let patch = try json(#"{"containers":[{"name":"b","image":"z"},{"name":"c","image":"w"}]}"#)
        let server = try #require(StrategicMerge.merge(target, patch, options: .apiServer))
        let kustomize = try #require(StrategicMerge.merge(target, patch))
        let names = { (value: JSONValue) in value["containers"]?.arrayValue?.compactMap { $0["name"]?.stringValue } }
        #expect(names(server) == ["a", "b", "c"])
        #expect(names(kustomize) == ["b", "c", "a"])
        #expect(server["containers"]?.arrayValue?[1]["image"] == "z")
    }

    @Test("server directives: $retainKeys, $deleteFromPrimitiveList, $setElementOrder, finalizers as a set")
    func serverDirectives() throws {
        let target = try json(
            #"{"metadata":{"finalizers":["a","b"]},"spec":{"strategy":{"type":"Recreate","rollingUpdate":{"x":1}},"#
                + #""args":["p","q","r"],"containers":[{"name":"a"}]}}"#)
        let patch = try json(
            #"{"metadata":{"finalizers":["b","c"]},"spec":{"strategy":{"$retainKeys":["type"],"type":"RollingUpdate"},"#
                + #""$deleteFromPrimitiveList/args":["q"],"$setElementOrder/containers":[{"name":"a"},{"name":"n"}],"#
                + #""containers":[{"name":"n","$setElementOrder/env":[{"name":"E"}],"env":[{"name":"E"}]}]}}"#)
        let merged = try #require(StrategicMerge.merge(target, patch, options: .apiServer))
        #expect(merged[path: ["metadata", "finalizers"]] == ["a", "b", "c"])
        #expect(merged[path: ["spec", "strategy"]] == ["type": "RollingUpdate"])
        #expect(merged[path: ["spec", "args"]] == ["p", "r"])
        #expect(merged[path: ["spec", "$setElementOrder/containers"]] == nil)
        #expect(merged[path: ["spec", "containers"]] == [["name": "a"], ["name": "n", "env": [["name": "E"]]]])
    }

    @Test("one merge-key table: conditions by type, ownerReferences by uid, readinessGates by conditionType")
    func mergeKeys() throws {
        for (field, key) in [("conditions", "type"), ("ownerReferences", "uid"), ("readinessGates", "conditionType")] {
            let items: [JSONValue] = [.object(JSONObject([(key, .string("k"))]))]
            #expect(StrategicMerge.mergeKey(field: field, items) == key)
        }
        let target = try json(#"{"conditions":[{"type":"Ready","status":"False"},{"type":"Other","status":"True"}]}"#)
        let patch = try json(#"{"conditions":[{"type":"Ready","status":"True"}]}"#)
        let merged = try #require(StrategicMerge.merge(target, patch, options: .apiServer))
        #expect(merged["conditions"] == [["type": "Ready", "status": "True"], ["type": "Other", "status": "True"]])
    }

    @Test("merge patch: null deletes, objects merge, everything else replaces")
    func mergePatch() throws {
        let target = try json(#"{"a":{"b":1,"c":2},"d":[1,2]}"#)
        let merged = MergePatch.apply(try json(#"{"a":{"b":null,"e":3},"d":[3]}"#), to: target)
        #expect(merged == ["a": ["c": 2, "e": 3], "d": [3]])
    }

    @Test("JSON patch errors say whether the patch is malformed or does not apply")
    func jsonPatchErrors() throws {
        let document = try json(#"{"a":1}"#)
        for (operations, malformed) in [
            (#"[{"op":"add"}]"#, true), (#"[{"op":"jump","path":"/a"}]"#, true), (#"[{"op":"add","path":"a"}]"#, true),
            (#"[{"op":"remove","path":"/missing"}]"#, false), (#"[{"op":"test","path":"/a","value":2}]"#, false),
        ] {
            let list = try #require(try json(operations).arrayValue)
            do {
                _ = try JSONPatch.apply(list, to: document)
                Issue.record("\(operations) applied")
            } catch {
                #expect(error.isMalformed == malformed, "\(operations): \(error.message)")
            }
        }
    }
}
