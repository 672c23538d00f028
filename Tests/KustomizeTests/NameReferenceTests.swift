import KubeCore
import Testing

@testable import Kustomize

@Suite("Name references")
struct NameReferenceTests {
    func resource(_ object: JSONValue) -> Resource { Resource(object: object, file: "test.yaml") }

    @Test("a renamed ConfigMap is followed from envFrom, env and volumes; unrelated names stay")
    func configMapReferences() {
        var config = resource(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "cfg"]])
        config.rename("cfg-abc")
        let pod = resource([
            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p"],
            "spec": [
                "containers": [
                    [
                        "name": "c", "envFrom": [["configMapRef": ["name": "cfg"]]],
                        "env": [["name": "X", "valueFrom": ["configMapKeyRef": ["name": "cfg", "key": "k"]]]],
                    ]
                ],
                "volumes": [
                    ["name": "v", "configMap": ["name": "cfg"]], ["name": "w", "configMap": ["name": "other"]],
                ],
            ],
        ])
        var resources = [config, pod]
        NameReferences.fix(&resources)
        let spec = resources[1].object["spec"]
        #expect(spec?[path: ["containers"]]?.arrayValue?.first?["envFrom"] == [["configMapRef": ["name": "cfg-abc"]]])
        #expect(spec?["volumes"]?.arrayValue?.first?[path: ["configMap", "name"]] == "cfg-abc")
        #expect(spec?["volumes"]?.arrayValue?.last?[path: ["configMap", "name"]] == "other")
    }

    @Test("a reference from another namespace is not rewritten")
    func namespaceScope() {
        var secret = resource(["apiVersion": "v1", "kind": "Secret", "metadata": ["name": "s", "namespace": "a"]])
        secret.rename("x-s")
        let pod = resource([
            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p", "namespace": "b"],
            "spec": ["imagePullSecrets": [["name": "s"]]],
        ])
        var resources = [secret, pod]
        NameReferences.fix(&resources)
        #expect(resources[1].object[path: ["spec", "imagePullSecrets"]] == [["name": "s"]])
    }

    @Test("roleRef follows the kind it names and subjects get the ServiceAccount's name and namespace")
    func bindings() {
        var role = resource([
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": ["name": "r"],
        ])
        role.rename("p-r")
        var account = resource(["apiVersion": "v1", "kind": "ServiceAccount", "metadata": ["name": "sa"]])
        account.previousNamespaces = [""]
        account.object.set(path: ["metadata", "namespace"], to: "prod")
        account.rename("p-sa")
        let binding = resource([
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": ["name": "b"],
            "roleRef": ["kind": "ClusterRole", "name": "r"],
            "subjects": [["kind": "ServiceAccount", "name": "sa", "namespace": "default"]],
        ])
        var resources = [role, account, binding]
        NameReferences.fix(&resources)
        #expect(resources[2].object[path: ["roleRef", "name"]] == "p-r")
        #expect(resources[2].object["subjects"] == [["kind": "ServiceAccount", "name": "p-sa", "namespace": "prod"]])
    }
}
