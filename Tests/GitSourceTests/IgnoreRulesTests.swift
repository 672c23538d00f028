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
