import Foundation
import KubeCore
import Testing

@testable import Kustomize

/// YAML shapes that used to cost minutes to hours inside Yams' composer (before any node budget could apply): keys
/// that are aliases of large trees (Yams hashes each key whole when it checks for duplicates) and collection keys
/// nested in collection keys (hashed once per level). They are refused before composing.
@Suite("Hostile YAML")
struct HostileYAMLTests {
    /// A "billion laughs" tree (`&a0` … `&a8`, 10⁹ leaves) and `tail` after it, as the data of a ConfigMap.
    static func laughs(then tail: String) -> String {
        var lines = ["apiVersion: v1", "kind: ConfigMap", "metadata:", "  name: x", "data:"]
        lines.append("  a0: &a0 [x, x, x, x, x, x, x, x, x, x]")
        for level in 1...8 {
            lines.append("  a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]")
        }
        return (lines + [tail]).joined(separator: "\n") + "\n"
    }

    func parse(_ text: String) async -> Result<[JSONValue], KustomizeError>? {
        await finishing { Result { () throws(KustomizeError) in try YAMLCodec.parseStream(text, file: "cm.yaml") } }
    }

    @Test("a key that is an alias of a billion-laughs tree is refused before Yams hashes it")
    func aliasedBombKey() async throws {
        for tail in ["  bomb:\n    ? *a8\n    : x", "  bomb: {*a8 : x}", "  bomb: {? [*a8] : x}"] {
            let result = try #require(await parse(Self.laughs(then: tail)), "did not finish: the key was hashed whole")
            // The tree alone is over the node budget, which the pre-flight counts as the anchors are defined.
            #expect(result.failureReason == "YAMLTooComplex", "\(result)")
        }
    }

    @Test("a mapping or sequence key, written out or through an alias, is refused with its line")
    func collectionKeys() async throws {
        let tree = "data:\n  t: &t [x, y]\n"
        for (tail, line) in [
            ("  k:\n    ? *t\n    : x\n", 4), ("  k: {*t : x}\n", 3), ("  k: {? [*t] : x}\n", 3),
            ("  k:\n    ? - *t\n    : x\n", 4), ("  k:\n    [a, b]: c\n", 4), ("  k:\n    {a: b}: c\n", 4),
        ] {
            let result = try #require(await parse(tree + tail))
            guard case .failure(.malformedYAML(let file, let reported, let detail)) = result else {
                Issue.record("expected malformedYAML for \(tail), got \(result)")
                continue
            }
            #expect(file == "cm.yaml")
            #expect(reported == line, "\(tail)")
            #expect(detail.contains("a mapping or sequence used as a mapping key is not supported"))
        }
    }

    @Test("collection keys nested in collection keys are refused before composing")
    func nestedCollectionKeys() async throws {
        var key = "[" + Array(repeating: "ab", count: 200_000).joined(separator: ",") + "]"
        for _ in 0..<400 { key = "{? " + key + " : x}" }
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: n\ndata:\n  k: \(key)\n"
        let result = try #require(await parse(text), "the parse did not finish: nested keys were hashed per level")
        guard case .failure(.malformedYAML(_, let line, let detail)) = result else {
            Issue.record("expected malformedYAML, got \(result)")
            return
        }
        #expect(line == 6)
        #expect(detail.contains("used as a mapping key"))
    }

    @Test("an alias of a scalar stays a valid key, as in kustomize")
    func aliasedScalarKey() throws {
        let text = "data:\n  &k a: b\n  y:\n    *k : d\n"
        let documents = try YAMLCodec.parseStream(text, file: "cm.yaml")
        #expect(documents == [["data": ["a": "b", "y": ["a": "d"]]]])
    }

    @Test("nesting deeper than 256 levels is refused, flow or block, before Yams recurses into it")
    func deepNesting() async throws {
        let flow = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        var block = ""
        for level in 0..<300 { block += String(repeating: " ", count: level) + "k:\n" }
        block += String(repeating: " ", count: 300) + "v\n"
        for text in ["a: " + flow + "\n", block] {
            let result = try #require(await parse(text))
            #expect(result.failureReason == "YAMLTooComplex", "\(result)")
        }
        // Far past the limit (libyaml's own stops at 1,000) it is refused either way.
        let deeper = String(repeating: "{a: ", count: 5_000) + "b" + String(repeating: "}", count: 5_000)
        #expect(try #require(await parse(deeper)).failureReason != nil)
        // 200 levels are fine.
        let shallow = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(try YAMLCodec.parseStream("a: " + shallow + "\n", file: "ok.yaml").count == 1)
    }

    @Test("an alias bomb in values is refused before it is expanded")
    func valueBomb() async throws {
        let result = try #require(await parse(Self.laughs(then: "  all: *a8")))
        #expect(result.failureReason == "YAMLTooComplex")
    }

    @Test("a syntax error after a refused key still reports the refusal; a plain syntax error is Yams' own")
    func syntaxErrors() async throws {
        let refused = try #require(await parse("data:\n  t: &t [x]\n  k: {*t : x}\n  oops: [\n"))
        guard case .failure(.malformedYAML(_, let line, let detail)) = refused else {
            Issue.record("expected malformedYAML, got \(refused)")
            return
        }
        #expect(line == 3)
        #expect(detail.contains("used as a mapping key"))
        let plain = try #require(await parse("a: [b\n"))
        guard case .failure(.malformedYAML(_, let reported, let message)) = plain else {
            Issue.record("expected malformedYAML, got \(plain)")
            return
        }
        #expect(reported != nil)
        #expect(!message.contains("mapping key"))
    }
}

extension Result where Failure == KustomizeError {
    var failureReason: String? {
        if case .failure(let error) = self { return error.reason }
        return nil
    }
}
