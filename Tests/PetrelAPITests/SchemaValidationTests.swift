import KubeCore
import PetrelAPI
import Testing

@Suite("Examples and fixtures are admissible under the CRD schemas")
struct SchemaValidationTests {
    static func schema(_ file: String) throws -> JSONValue {
        let crd = try TestFiles.yaml(file)
        return try #require(crd[path: ["spec", "versions"]]?.arrayValue?.first?[path: ["schema", "openAPIV3Schema"]])
    }

    static let gitRepositoryCRD = "crds/source.petrel.dev_gitrepositories.yaml"
    static let kustomizationCRD = "crds/kustomize.petrel.dev_kustomizations.yaml"

    @Test("the examples and full fixtures pass validation")
    func valid() throws {
        let documents: [(JSONValue, String)] = [
            (try TestFiles.yaml("examples/gitrepository.yaml"), Self.gitRepositoryCRD),
            (try TestFiles.yaml("examples/kustomization.yaml"), Self.kustomizationCRD),
            (try TestFiles.json(fromYAML: Fixtures.fullGitRepository), Self.gitRepositoryCRD),
            (try TestFiles.json(fromYAML: Fixtures.fullKustomization), Self.kustomizationCRD),
        ]
        for (document, file) in documents {
            #expect(SchemaValidator.violations(of: document, against: try Self.schema(file)) == [], "\(file)")
        }
    }

    @Test(
        "invalid GitRepositories are refused for the right field",
        arguments: [
            (["spec", "url"], JSONValue("git@github.com:org/repo.git"), "spec.url"),
            (["spec", "url"], nil, "spec.url"),
            (["spec", "interval"], "5 minutes", "spec.interval"),
            (["spec", "timeout"], "1h", "spec.timeout"),
            (["spec", "recurseSubmodules"], "yes", "spec.recurseSubmodules"),
            (["spec", "provider"], "aws", "spec.provider"),
        ])
    func invalidGitRepository(path: [String], value: JSONValue?, field: String) throws {
        var document = try TestFiles.yaml("examples/gitrepository.yaml")
        document.set(path: path, to: value)
        let problems = SchemaValidator.violations(of: document, against: try Self.schema(Self.gitRepositoryCRD))
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix(field + ":") == true, "\(problems)")
    }

    @Test(
        "invalid Kustomizations are refused for the right field",
        arguments: [
            (["spec", "sourceRef", "kind"], JSONValue("OCIRepository"), "spec.sourceRef.kind"),
            (["spec", "prune"], nil, "spec.prune"),
            (
                ["spec", "targetNamespace"], JSONValue(stringLiteral: String(repeating: "a", count: 64)),
                "spec.targetNamespace"
            ),
            (["spec", "deletionPolicy"], "Keep", "spec.deletionPolicy"),
            (["spec", "retryInterval"], "-1s", "spec.retryInterval"),
            (["spec", "postBuild", "substitute", "x"], 1, "spec.postBuild.substitute.x"),
        ])
    func invalidKustomization(path: [String], value: JSONValue?, field: String) throws {
        var document = try TestFiles.yaml("examples/kustomization.yaml")
        document.set(path: path, to: value)
        let problems = SchemaValidator.violations(of: document, against: try Self.schema(Self.kustomizationCRD))
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix(field + ":") == true, "\(problems)")
    }

    @Test("every required name in the CRDs is a declared property")
    func requiredAreDeclared() throws {
        func check(_ schema: JSONValue, path: String) -> [String] {
            var problems: [String] = []
            let properties = schema["properties"]?.objectValue
            for name in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where properties?[name] == nil {
                problems.append("\(path).\(name)")
            }
            for (name, child) in properties ?? JSONObject() { problems += check(child, path: "\(path).\(name)") }
            if let items = schema["items"] { problems += check(items, path: "\(path)[]") }
            return problems
        }
        for file in [Self.gitRepositoryCRD, Self.kustomizationCRD] {
            #expect(check(try Self.schema(file), path: "") == [], "\(file)")
        }
    }
}
