import KubeCore
import PetrelAPI
import Testing

@Suite("Examples and fixtures survive decode and re-encode")
struct ExampleRoundTripTests {
    @Test("examples/gitrepository.yaml round-trips without losing fields")
    func gitRepositoryExample() throws {
        let json = try TestFiles.yaml("examples/gitrepository.yaml")
        let object = try GitRepository(json: json)
        #expect(object.spec.interval == .minutes(1))
        #expect(object.spec.ref?.branch == "main")
        let encoded = try object.json()
        #expect(encoded.semanticallyEquals(json), "re-encoded: \(encoded)")
    }

    @Test("examples/kustomization.yaml round-trips without losing fields")
    func kustomizationExample() throws {
        let json = try TestFiles.yaml("examples/kustomization.yaml")
        let object = try Kustomization(json: json)
        #expect(object.spec.sourceRef.kind == .gitRepository)
        #expect(object.spec.prune)
        #expect(object.spec.path == "./examples/demo-app")
        let encoded = try object.json()
        #expect(encoded.semanticallyEquals(json), "re-encoded: \(encoded)")
    }

    @Test("a GitRepository with every field, status included, round-trips")
    func fullGitRepository() throws {
        let json = try TestFiles.json(fromYAML: Fixtures.fullGitRepository)
        let object = try GitRepository(json: json)
        #expect(object.status.artifact?.size == 1234)
        #expect(object.status.conditions.isTrue(ConditionType.ready))
        #expect(object.metadata.managedFields?.count == 1)
        let encoded = try object.json()
        #expect(encoded.semanticallyEquals(json), "re-encoded: \(encoded)")
    }

    @Test("a Kustomization with every field, status included, round-trips")
    func fullKustomization() throws {
        let json = try TestFiles.json(fromYAML: Fixtures.fullKustomization)
        let object = try Kustomization(json: json)
        #expect(object.status.inventory?.entries.first?.parts?.kind == "Service")
        #expect(object.spec.deletionPolicy == .waitForTermination)
        let encoded = try object.json()
        #expect(encoded.semanticallyEquals(json), "re-encoded: \(encoded)")
    }

    @Test("the full fixtures populate every field the CRDs declare, so the round trips cover them all")
    func fixturesCoverSchema() throws {
        for (fixture, file) in [
            (Fixtures.fullGitRepository, "crds/source.petrel.dev_gitrepositories.yaml"),
            (Fixtures.fullKustomization, "crds/kustomize.petrel.dev_kustomizations.yaml"),
        ] {
            let crd = try TestFiles.yaml(file)
            let schema = try #require(
                crd[path: ["spec", "versions"]]?.arrayValue?.first?[path: ["schema", "openAPIV3Schema"]])
            let declared = Set(CRDSchemaWalker.fields(of: schema).keys)
            let present = Fixtures.leafAndObjectPaths(try TestFiles.json(fromYAML: fixture))
            let missing = declared.filter { path in
                !present.contains(path) && !path.hasPrefix("metadata.")
            }
            #expect(missing.sorted() == [], "\(file)")
        }
    }

    @Test("a wrong type names the field in the error")
    func decodingErrorNamesField() throws {
        var json = try TestFiles.yaml("examples/kustomization.yaml")
        json.set(path: ["spec", "prune"], to: "yes")
        #expect {
            _ = try Kustomization(json: json)
        } throws: { error in
            guard let error = error as? PetrelAPIError, case .decodingFailed(_, let detail) = error else {
                return false
            }
            return detail.contains("spec.prune") && error.reason == "DecodingFailed"
        }
        json.set(path: ["spec", "interval"], to: "5 minutes")
        #expect(throws: PetrelAPIError.self) { try Kustomization(json: json) }
    }

    @Test("encoding writes apiVersion, kind, metadata, spec in that order and omits an empty status")
    func encodingOrder() throws {
        let repository = GitRepository(
            metadata: ObjectMeta(name: "demo", namespace: "default"),
            spec: GitRepositorySpec(url: "https://example.com/repo.git", interval: .minutes(5)))
        let json = try repository.json()
        #expect(json.objectValue?.keys == ["apiVersion", "kind", "metadata", "spec"])
        #expect(json["apiVersion"] == "source.petrel.dev/v1")
        #expect(json[path: ["spec", "interval"]] == "5m0s")
        #expect(GitRepository.groupVersionResource.resource == "gitrepositories")
        #expect(Kustomization.groupVersionKind.group == "kustomize.petrel.dev")
    }
}
