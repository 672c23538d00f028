@testable import GitSource
import Testing

@Suite("gitignore matching")
struct IgnoreRulesTests {
    func ignored(_ rules: IgnoreRules, _ path: String, dir: Bool = false) -> Bool {
        rules.isIgnored(path.split(separator: "/").map(String.init), isDirectory: dir)
    }

    @Test("Flux default exclusions apply when spec.ignore is empty")
    func defaults() {
        let rules = IgnoreRules()
        #expect(ignored(rules, ".git", dir: true))
        #expect(ignored(rules, "logo.png"))
        #expect(ignored(rules, "docs/img/logo.jpeg"))
        #expect(ignored(rules, ".github", dir: true))
        #expect(ignored(rules, "deep/dir/.sops.yaml"))
        #expect(ignored(rules, "release.tar.gz"))
        #expect(!ignored(rules, ".github"))  // a file named .github is not the directory
        #expect(!ignored(rules, "deploy/app.yaml"))
        #expect(!ignored(rules, "sub/.drone.yml/x"))
    }

    @Test("spec.ignore replaces the defaults but keeps the VCS patterns")
    func specIgnore() {
        let rules = IgnoreRules(specIgnore: "/*\n!/deploy/\n*.secret\n")
        #expect(ignored(rules, ".git", dir: true))
        #expect(ignored(rules, "README.md"))
        #expect(!ignored(rules, "deploy", dir: true))
        #expect(!ignored(rules, "deploy/logo.png"))
        #expect(ignored(rules, "deploy/x.secret"))
    }

    @Test("negation, dir-only, anchoring, ** and classes")
    func syntax() {
        let rules = IgnoreRules(specIgnore: """
            # comment
            *.log
            !keep.log
            build/
            /root-only.txt
            docs/**/draft-*.md
            a/**
            file[0-9].txt
            \\#hash
            """)
        #expect(ignored(rules, "x/y/z.log"))
        #expect(!ignored(rules, "x/keep.log"))
        #expect(ignored(rules, "src/build", dir: true))
        #expect(!ignored(rules, "src/build"))
        #expect(ignored(rules, "root-only.txt"))
        #expect(!ignored(rules, "sub/root-only.txt"))
        #expect(ignored(rules, "docs/draft-1.md"))
        #expect(ignored(rules, "docs/a/b/draft-2.md"))
        #expect(!ignored(rules, "docs/a/final.md"))
        #expect(ignored(rules, "a/anything"))
        #expect(!ignored(rules, "a", dir: true))
        #expect(ignored(rules, "file7.txt"))
        #expect(!ignored(rules, "fileX.txt"))
        #expect(ignored(rules, "#hash"))
    }

    @Test(".sourceignore patterns are relative to their directory")
    func domains() {
        let rules = IgnoreRules().adding(sourceIgnore: IgnoreRules.parse("/local.yaml\n*.tmp\n", domain: ["sub"]))
        #expect(ignored(rules, "sub/local.yaml"))
        #expect(!ignored(rules, "local.yaml"))
        #expect(ignored(rules, "sub/deeper/x.tmp"))
        #expect(!ignored(rules, "x.tmp"))
    }
}

@Suite("gitignore matching: no backtracking blow-up")
struct IgnoreRulesComplexityTests {
    @Test("many stars or ** segments match in polynomial time and keep their meaning")
    func pathological() {
        let stars = IgnorePattern(line: String(repeating: "*a", count: 15) + "*b")!
        #expect(!stars.matches([String(repeating: "a", count: 200)], isDirectory: false))
        #expect(stars.matches([String(repeating: "a", count: 30) + "b"], isDirectory: false))
        let globstars = IgnorePattern(line: String(repeating: "**/", count: 40) + "y")!
        #expect(!globstars.matches(Array(repeating: "x", count: 60), isDirectory: false))
        #expect(globstars.matches(Array(repeating: "x", count: 60) + ["y"], isDirectory: false))
        let middle = IgnorePattern(line: "a/**/b/**/c")!
        #expect(middle.matches(["a", "b", "c"], isDirectory: false))
        #expect(middle.matches(["a", "x", "b", "y", "z", "c"], isDirectory: false))
        #expect(!middle.matches(["a", "c", "b"], isDirectory: false))
        let trailing = IgnorePattern(line: "a/**")!
        #expect(trailing.matches(["a", "x"], isDirectory: false))
        #expect(!trailing.matches(["a"], isDirectory: true))
    }
}
