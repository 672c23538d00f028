import KubeCore
import Testing

@Suite("Label and field selectors")
struct SelectorTests {
    @Test("parses every label selector operator")
    func parsesOperators() throws {
        let selector = try LabelSelector(parsing: "app=web, tier==front,env!=dev,zone in (a, b),region notin (x),release,!legacy")
        #expect(
            selector.requirements == [
                .equals("app", "web"), .equals("tier", "front"), .notEquals("env", "dev"), .in("zone", ["a", "b"]),
                .notIn("region", ["x"]), .exists("release"), .doesNotExist("legacy"),
            ])
        #expect(selector.description == "app=web,tier=front,env!=dev,zone in (a,b),region notin (x),release,!legacy")
    }

    @Test("matches labels with Kubernetes semantics")
    func matches() throws {
        let selector = try LabelSelector(parsing: "app=web,env!=dev,zone in (a,b),region notin (x),!legacy")
        #expect(selector.matches(["app": "web", "zone": "a"]))
        #expect(selector.matches(["app": "web", "zone": "b", "env": "prod", "region": "y"]))
        #expect(!selector.matches(["app": "web", "zone": "c"]))
        #expect(!selector.matches(["app": "web", "zone": "a", "env": "dev"]))
        #expect(!selector.matches(["app": "web", "zone": "a", "legacy": "true"]))
        #expect(!selector.matches(["app": "web", "zone": "a", "region": "x"]))
        #expect(!selector.matches(["zone": "a"]))
        #expect(try LabelSelector(parsing: "").matches([:]))
    }

    @Test("rejects malformed label selectors", arguments: ["app=web,", "=x", "a in b", "a in (x", "a ? b", "!"])
    func rejects(text: String) {
        #expect(throws: SelectorError.self) { try LabelSelector(parsing: text) }
    }

    @Test("builds from matchLabels and matchExpressions")
    func fromJSON() throws {
        let json = try JSONParser.parse(
            #"{"matchLabels":{"app":"web"},"matchExpressions":[{"key":"tier","operator":"In","values":["a"]},{"key":"old","operator":"DoesNotExist"}]}"#)
        let selector = try LabelSelector(json: json)
        #expect(selector.matches(["app": "web", "tier": "a"]))
        #expect(!selector.matches(["app": "web", "tier": "a", "old": "1"]))
        #expect(!selector.matches(["app": "web", "tier": "b"]))
        let object: JSONValue = ["metadata": ["labels": ["app": "web", "tier": "a"]]]
        #expect(selector.matches(object: object))
    }

    @Test("field selectors match dotted paths")
    func fieldSelector() throws {
        let selector = try FieldSelector(parsing: "metadata.name=web,status.phase!=Running")
        #expect(selector.description == "metadata.name=web,status.phase!=Running")
        let pending: JSONValue = ["metadata": ["name": "web"], "status": ["phase": "Pending"]]
        let running: JSONValue = ["metadata": ["name": "web"], "status": ["phase": "Running"]]
        #expect(selector.matches(object: pending))
        #expect(!selector.matches(object: running))
        #expect(throws: SelectorError.self) { try FieldSelector(parsing: "metadata.name") }
    }
}
