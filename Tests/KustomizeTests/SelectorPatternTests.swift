import Foundation
import KubeCore
import Testing

@testable import Kustomize

/// Selector patterns (patch and replacement targets) use Go's regular expression syntax, anchored at both ends, as
/// kustomize compiles them, and match in linear time.
@Suite("Selector patterns")
struct SelectorPatternTests {
    /// (pattern, text, whole match in Go's regexp).
    static let table: [(String, String, Bool)] = [
        ("app-.*", "app-web", true), ("app-.*", "my-app-web", false), ("web|api", "api", true),
        ("web|api", "webapi", false), ("(web|api)-[0-9]+", "api-12", true), ("(web|api)-[0-9]+", "api-", false),
        ("a{2,3}", "aaa", true), ("a{2,3}", "aaaa", false), ("a{2}", "aa", true), ("a{2,}", "aaaaa", true),
        ("a{,2}", "a{,2}", true), ("x{", "x{", true), ("[^a-c]+", "xyz", true), ("[^a-c]+", "xaz", false),
        ("[a-]+", "a-a", true), ("[]a]+", "]a", true), ("\\d+", "123", true), ("\\D", "1", false),
        ("\\w+", "a_1", true), ("\\W", "-", true), ("\\s", " ", true), ("[[:alpha:]]+", "abc", true),
        ("[[:^alpha:]]+", "12", true), ("[[:digit:]x]+", "1x2", true), ("(?i)app", "APP", true),
        ("(?i:a)b", "Ab", true), ("(?i:a)b", "AB", false), ("a.c", "abc", true), ("a.c", "a\nc", false),
        ("(?s)a.c", "a\nc", true), ("^abc$", "abc", true), ("a$", "a\n", false), ("(?m)a$\\n", "a\n", true),
        ("\\bfoo\\b", "foo", true), ("a\\Bb", "ab", true), ("\\Aab\\z", "ab", true), ("\\.", ".", true),
        ("\\.", "x", false), ("\\x41", "A", true), ("\\x{263a}", "☺", true), ("\\101", "A", true),
        ("\\Qa.b\\E", "a.b", true), ("\\Qa.b\\E", "axb", false), ("\\pL+", "héllo", true), ("\\p{Lu}", "É", true),
        ("\\PL", "1", true), ("[\\pN]+", "42", true), ("(?P<n>a)b", "ab", true), ("(?<n>a)b", "ab", true),
        ("(?:a|)b", "b", true), ("a*?b", "aab", true), ("(a*)*b", "aaab", true), ("()", "", true), ("", "", true),
        ("(a|a)+b", String(repeating: "a", count: 60) + "c", false), ("(.*a){20}", String(repeating: "a", count: 19), false),
        ("(.*a){20}", String(repeating: "a", count: 20), true), ("é", "é", true), ("[é-ê]", "ê", true),
    ]

    @Test("patterns match whole strings as Go's regexp does")
    func goSemantics() throws {
        for (pattern, text, expected) in Self.table {
            let regex = try LinearRegex(wholeMatch: pattern)
            #expect(regex.matches(text) == expected, "\(pattern) on \(text.debugDescription)")
        }
    }

    @Test("patterns Go refuses are refused", arguments: [
        "(", ")", "a**", "*a", "a{1001}", "a{3,2}", "[z-a]", "[a", "\\1", "\\q", "(?P<>a)", "(?<=a)b", "\\p{Greek}",
        "(?z)", "x\\",
    ])
    func refusals(pattern: String) {
        #expect(throws: LinearRegex.SyntaxError.self) { try LinearRegex(wholeMatch: pattern) }
    }

    @Test("an expression whose repetitions expand past the instruction bound is refused")
    func tooLarge() {
        #expect(throws: LinearRegex.SyntaxError.self) { try LinearRegex(wholeMatch: "((a{1000}){1000}){1000}") }
    }

    @Test("a patch target selects the same objects as in kubectl kustomize",
        .enabled(if: FileManager.default.isExecutableFile(atPath: ConformanceTests.kubectl), "needs /usr/bin/kubectl"))
    func sameSelectionAsKubectl() async throws {
        let names = ["web", "web-1", "api-12", "api-", "APP", "app-x", "x.y", "xay", "a_b", "abc", "b"]
        let patterns = [
            "web.*", "(web|api)-[0-9]+", "api-[0-9]*", "(?i)app", "app-.", "x\\.y", "x.y", "\\w+", "[a-c]+",
            "[^w]+", "a{1,2}b?c?", "(?i:A)PP", "\\d", ".*-.*", "[[:lower:]]+", "b|web", "(a|b)*c?",
        ]
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("selector-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let objects = names.map { "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"\($0)\"\ndata:\n  x: y\n" }
        try objects.joined(separator: "---\n").write(
            to: root.appendingPathComponent("objects.yaml"), atomically: true, encoding: .utf8)
        var kustomization = "resources:\n- objects.yaml\npatches:\n"
        for (index, pattern) in patterns.enumerated() {
            kustomization += """
                - target:
                    kind: ConfigMap
                    name: '\(pattern)'
                  patch: |
                    - op: add
                      path: /data/p\(index)
                      value: "y"

                """
        }
        try kustomization.write(to: root.appendingPathComponent("kustomization.yaml"), atomically: true, encoding: .utf8)
        let (expected, oracleError) = try await ConformanceTests.oracle(root)
        let expectedText = try #require(expected, "kubectl kustomize failed: \(oracleError)")
        let ours = try KustomizeBuilder().build(root: root, path: ".")
        let theirs = try YAMLCodec.parseStream(expectedText, file: "kubectl")
        func selection(_ documents: [JSONValue]) -> [String: [String]] {
            var result: [String: [String]] = [:]
            for document in documents {
                let name = document[path: ["metadata", "name"]]?.stringValue ?? ""
                result[name] = (document["data"]?.objectValue?.keys ?? []).filter { $0.hasPrefix("p") }.sorted()
            }
            return result
        }
        #expect(selection(ours) == selection(theirs))
        #expect(selection(ours).values.contains { !$0.isEmpty })
    }

    @Test("a backtracking pattern costs linear time on every object of a build")
    func noBacktracking() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("redos-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let objects = (0..<60).map { index in
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \(String(repeating: "a", count: 40))c\(index)\n"
        }
        try objects.joined(separator: "---\n").write(
            to: root.appendingPathComponent("objects.yaml"), atomically: true, encoding: .utf8)
        try """
            resources:
            - objects.yaml
            patches:
            - target:
                name: "(a|a)+b"
              patch: |
                - op: add
                  path: /data
                  value: {}
            """.write(to: root.appendingPathComponent("kustomization.yaml"), atomically: true, encoding: .utf8)
        // ICU backtracked for about 1.5 s per name (90 s for this build); the bound only catches that.
        let built = await finishing {
            Result { () throws(KustomizeError) in try KustomizeBuilder().build(root: root, path: ".") }
        }
        let documents = try #require(built, "the build did not finish").get()
        #expect(documents.count == 60)
        #expect(documents.allSatisfy { $0["data"] == nil })
    }
}
