import KubeCore
import PetrelAPI
import Testing

@Suite("CRDs match the Swift types")
struct CRDSchemaTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var file: String
        var kind: String
        var group: String
        var plural: String
        var fields: @Sendable () throws -> [String: FieldShape]
        var testDescription: String { kind }
    }

    static let cases: [Case] = [
        Case(
            file: "crds/source.petrel.dev_gitrepositories.yaml", kind: GitRepository.kind,
            group: GitRepository.groupVersionKind.group, plural: GitRepository.plural,
            fields: { try SchemaProbe.fields(of: GitRepository.self) }),
        Case(
            file: "crds/kustomize.petrel.dev_kustomizations.yaml", kind: Kustomization.kind,
            group: Kustomization.groupVersionKind.group, plural: Kustomization.plural,
            fields: { try SchemaProbe.fields(of: Kustomization.self) }),
    ]

    static func version(_ crd: JSONValue) throws -> JSONValue {
        let versions = try #require(crd[path: ["spec", "versions"]]?.arrayValue)
        #expect(versions.count == 1)
        return try #require(versions.first)
    }

    @Test(
        "every schema property is a Swift field and back, with the same type, format, requiredness and enum",
        arguments: cases)
    func fieldsMatch(_ testCase: Case) throws {
        let crd = try TestFiles.yaml(testCase.file)
        let schema = try #require(try Self.version(crd)[path: ["schema", "openAPIV3Schema"]])
        var fromSchema = CRDSchemaWalker.fields(of: schema)
        var fromSwift = try testCase.fields()
        // Kubernetes never marks apiVersion/kind/metadata/spec required at the root; the Swift types default the
        // first three and require spec, which the API server cannot express there. Compare requiredness below it.
        for path in ["apiVersion", "kind", "metadata", "spec", "status"] {
            fromSchema[path]?.required = false
            fromSwift[path]?.required = false
        }
        let onlyInSchema = Set(fromSchema.keys).subtracting(fromSwift.keys).sorted()
        let onlyInSwift = Set(fromSwift.keys).subtracting(fromSchema.keys).sorted()
        #expect(onlyInSchema == [], "fields in \(testCase.file) missing from the Swift type")
        #expect(onlyInSwift == [], "fields in the Swift type missing from \(testCase.file)")
        for path in Set(fromSchema.keys).intersection(fromSwift.keys).sorted() {
            #expect(
                fromSchema[path] == fromSwift[path], "\(path): schema \(fromSchema[path]!) vs Swift \(fromSwift[path]!)"
            )
        }
        #expect(fromSchema.count > 20)
    }

    @Test("names, scope, version, status subresource and categories", arguments: cases)
    func names(_ testCase: Case) throws {
        let crd = try TestFiles.yaml(testCase.file)
        #expect(crd["apiVersion"] == "apiextensions.k8s.io/v1")
        #expect(crd["kind"] == "CustomResourceDefinition")
        #expect(crd[path: ["metadata", "name"]]?.stringValue == "\(testCase.plural).\(testCase.group)")
        #expect(crd[path: ["metadata", "annotations", WellKnown.substituteKey]] == "disabled")
        #expect(crd[path: ["spec", "group"]]?.stringValue == testCase.group)
        #expect(crd[path: ["spec", "scope"]] == "Namespaced")
        #expect(crd[path: ["spec", "names", "kind"]]?.stringValue == testCase.kind)
        #expect(crd[path: ["spec", "names", "plural"]]?.stringValue == testCase.plural)
        #expect(crd[path: ["spec", "names", "categories"]] == ["petrel"])
        let version = try Self.version(crd)
        #expect(version["name"] == "v1")
        #expect(version["served"] == true)
        #expect(version["storage"] == true)
        #expect(version[path: ["subresources", "status"]] == .object(JSONObject()))
        #expect(
            version[path: ["schema", "openAPIV3Schema", "properties", "status", "default"]] == [
                "observedGeneration": -1
            ])
    }

    @Test("short names and printer columns follow Flux, with Revision added")
    func printerColumns() throws {
        let ready = #".status.conditions[?(@.type=="Ready")]"#
        let expected: [(String, JSONValue, [[String]])] = [
            (
                "crds/source.petrel.dev_gitrepositories.yaml", ["gitrepo"],
                [
                    ["URL", "string", ".spec.url"], ["Age", "date", ".metadata.creationTimestamp"],
                    ["Ready", "string", "\(ready).status"], ["Status", "string", "\(ready).message"],
                    ["Revision", "string", ".status.artifact.revision"],
                ]
            ),
            (
                "crds/kustomize.petrel.dev_kustomizations.yaml", ["ks"],
                [
                    ["Age", "date", ".metadata.creationTimestamp"], ["Ready", "string", "\(ready).status"],
                    ["Status", "string", "\(ready).message"], ["Revision", "string", ".status.lastAppliedRevision"],
                ]
            ),
        ]
        for (file, shortNames, columns) in expected {
            let crd = try TestFiles.yaml(file)
            #expect(crd[path: ["spec", "names", "shortNames"]] == shortNames)
            let actual = try #require(try Self.version(crd)["additionalPrinterColumns"]?.arrayValue).map {
                [$0["name"]?.stringValue ?? "", $0["type"]?.stringValue ?? "", $0["jsonPath"]?.stringValue ?? ""]
            }
            #expect(actual == columns, "\(file)")
        }
    }

    @Test("patterns and defaults in the CRDs are the ones the Swift types use")
    func patternsAndDefaults() throws {
        let gitSpec = try #require(
            try Self.version(TestFiles.yaml("crds/source.petrel.dev_gitrepositories.yaml"))[
                path: ["schema", "openAPIV3Schema", "properties", "spec", "properties"]])
        #expect(gitSpec[path: ["url", "pattern"]] == "^(http|https|ssh|git)://.*$")
        #expect(gitSpec[path: ["interval", "pattern"]]?.stringValue == GoDuration.crdPattern)
        #expect(gitSpec[path: ["timeout", "pattern"]]?.stringValue == GoDuration.crdPatternWithoutHours)
        #expect(gitSpec[path: ["timeout", "default"]]?.stringValue == GitRepositorySpec.defaultTimeout.text)
        for field in ["interval", "timeout"] {
            #expect(gitSpec[path: [field, "maxLength"]]?.integerValue == Int64(GoDuration.crdMaxLength), "\(field)")
        }
        let artifact = try #require(
            try Self.version(TestFiles.yaml("crds/source.petrel.dev_gitrepositories.yaml"))[
                path: ["schema", "openAPIV3Schema", "properties", "status", "properties", "artifact", "properties"]])
        #expect(artifact[path: ["digest", "pattern"]]?.stringValue == Artifact.digestPattern)

        let ksSpec = try #require(
            try Self.version(TestFiles.yaml("crds/kustomize.petrel.dev_kustomizations.yaml"))[
                path: ["schema", "openAPIV3Schema", "properties", "spec", "properties"]])
        for field in ["interval", "retryInterval", "timeout"] {
            #expect(ksSpec[path: [field, "pattern"]]?.stringValue == GoDuration.crdPattern, "\(field)")
            #expect(ksSpec[path: [field, "maxLength"]]?.integerValue == Int64(GoDuration.crdMaxLength), "\(field)")
        }
        #expect(ksSpec[path: ["targetNamespace", "maxLength"]] == 63)
        #expect(ksSpec[path: ["force", "default"]] == false)
    }
}
