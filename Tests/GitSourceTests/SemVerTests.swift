import GitSource
import Testing

@Suite("Semver ranges")
struct SemVerTests {
    static let tags = ["v0.9.0", "v1.0.0", "v1.2.0", "v1.2.7", "v1.3.0-rc.1", "v1.10.1", "2.0.0", "v2.1.0", "latest"]

    func highest(_ range: String) throws -> String? {
        let parsed = try SemVerRange(range)
        return Self.tags.compactMap { tag in SemanticVersion(tag).map { (tag, $0) } }
            .filter { parsed.contains($0.1) }.max { $0.1 < $1.1 }?.0
    }

    @Test("ranges pick the highest matching tag", arguments: [
        (">=1.0.0 <2.0.0", "v1.10.1"), ("~1.2", "v1.2.7"), ("^1.2.3", "v1.10.1"), ("1.x", "v1.10.1"),
        ("1.2.0", "v1.2.0"), ("=2.0.0", "2.0.0"), ("*", "v2.1.0"), ("<1.0.0", "v0.9.0"), ("^0.9", "v0.9.0"),
        (">=1.3.0-rc.0 <1.4.0", "v1.3.0-rc.1"), ("1.0.0 - 1.2.0", "v1.2.0"), ("~1.2 || >=2.1", "v2.1.0"),
        (">= 1.0, < 1.3", "v1.2.7"),
    ])
    func ranges(range: String, expected: String) throws {
        #expect(try highest(range) == expected)
    }

    @Test("pre-releases only match ranges that name one")
    func prerelease() throws {
        let version = try #require(SemanticVersion("1.3.0-rc.1"))
        #expect(!(try SemVerRange(">=1.0.0")).contains(version))
        #expect((try SemVerRange(">=1.3.0-rc.0")).contains(version))
        #expect(try #require(SemanticVersion("1.0.0-alpha")) < #require(SemanticVersion("1.0.0-alpha.1")))
        #expect(try #require(SemanticVersion("1.0.0-beta.11")) > #require(SemanticVersion("1.0.0-beta.2")))
    }

    @Test("no match and garbage are reported")
    func errors() throws {
        #expect(try highest(">=5.0.0") == nil)
        #expect(throws: GitSourceError.self) { try SemVerRange(">=abc") }
        #expect(SemanticVersion("latest") == nil)
    }
}
