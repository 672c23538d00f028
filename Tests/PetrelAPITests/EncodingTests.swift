import KubeCore
import PetrelAPI
import Testing

@Suite("JSON encoding and helpers")
struct EncodingTests {
    struct Sample: Encodable {
        var zeta = "z"
        var alpha: Int64 = 1
        var nothing: String? = nil
        var labels: [String: String] = ["b": "2", "a": "1", "c": "3"]
        var list: [Double] = [1.5, 2]
        var nested = Nested()

        struct Nested: Encodable {
            var flag = true
        }
    }

    @Test("fields come out in declaration order, nil optionals are omitted and maps are sorted")
    func order() throws {
        let json = try JSONValueEncoder().encode(Sample())
        #expect(json.objectValue?.keys == ["zeta", "alpha", "labels", "list", "nested"])
        #expect(json["labels"]?.objectValue?.keys == ["a", "b", "c"])
        #expect(
            JSONSerializer.string(json)
                == #"{"zeta":"z","alpha":1,"labels":{"a":"1","b":"2","c":"3"},"list":[1.5,2],"nested":{"flag":true}}"#)
    }

    @Test("non-finite numbers are refused with an encoding error")
    func nonFinite() {
        #expect(throws: PetrelAPIError.self) { try JSONValueEncoder().encode([Double.nan]) }
    }

    @Test("a decoded object encodes back to the same ordered JSON text")
    func exactRoundTrip() throws {
        let text =
            #"{"apiVersion":"kustomize.petrel.dev/v1","kind":"Kustomization","metadata":{"name":"a","namespace":"b"},"spec":{"sourceRef":{"kind":"GitRepository","name":"repo"},"interval":"10m","prune":true}}"#
        let object = try Kustomization(json: try JSONParser.parse(text))
        #expect(JSONSerializer.string(try object.json()) == text)
    }

    @Test("inventory ids split into namespace, name, group and kind")
    func inventoryIDs() throws {
        let service = ResourceRef(namespace: "default", name: "web", group: "", kind: "Service", version: "v1")
        #expect(service.id == "default_web__Service")
        #expect(service.apiVersion == "v1")
        let role = ResourceRef(id: "_admin_rbac.authorization.k8s.io_ClusterRole", v: "v1")
        let parts = try #require(role.parts)
        #expect(parts.namespace == "" && parts.name == "admin" && parts.group == "rbac.authorization.k8s.io")
        #expect(role.apiVersion == "rbac.authorization.k8s.io/v1")
        #expect(ResourceRef(id: "broken", v: "v1").parts == nil)
    }

    @Test("Kustomization defaults follow Flux: timeout interval−30s with a 30s floor, retry at interval, MirrorPrune")
    func kustomizationDefaults() throws {
        var kustomization = Kustomization(
            metadata: ObjectMeta(name: "app", namespace: "apps"),
            spec: KustomizationSpec(
                sourceRef: CrossNamespaceSourceReference(name: "repo"), interval: .minutes(10), prune: true))
        #expect(kustomization.effectiveTimeout == .seconds(570))
        #expect(kustomization.effectiveRetryInterval == .minutes(10))
        #expect(kustomization.effectiveDeletionPolicy == .mirrorPrune)
        #expect(kustomization.sourceNamespace == "apps")
        kustomization.spec.interval = .seconds(45)
        #expect(kustomization.effectiveTimeout == .seconds(30))
        kustomization.spec.timeout = .seconds(5)
        #expect(kustomization.effectiveTimeout == .seconds(30))
        kustomization.spec.timeout = .minutes(2)
        kustomization.spec.retryInterval = .seconds(20)
        kustomization.spec.sourceRef.namespace = "sources"
        #expect(kustomization.effectiveTimeout == .minutes(2))
        #expect(kustomization.effectiveRetryInterval == .seconds(20))
        #expect(kustomization.sourceNamespace == "sources")
    }

    @Test("finalizer helpers add once and remove cleanly")
    func finalizers() {
        var metadata = ObjectMeta(name: "x")
        let added = metadata.addFinalizer(WellKnown.finalizer)
        let addedAgain = metadata.addFinalizer(WellKnown.finalizer)
        #expect(added && !addedAgain)
        #expect(metadata.finalizers == ["finalizers.petrel.dev"])
        let removed = metadata.removeFinalizer(WellKnown.finalizer)
        #expect(removed)
        #expect(metadata.finalizers == nil)
        let removedAgain = metadata.removeFinalizer(WellKnown.finalizer)
        #expect(!removedAgain)
    }

    @Test("artifact revisions expose their commit")
    func artifactCommit() {
        let artifact = Artifact(
            path: "p", url: "u", revision: "feature/x@sha1:abc123", digest: "sha256:00",
            lastUpdateTime: Time(secondsSince1970: 0))
        #expect(artifact.commit == "abc123")
        #expect(artifact.hasRevision("feature/x@sha1:abc123"))
    }
}
