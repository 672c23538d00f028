import KubeClient
import KubeCore
import LocalAPIServer
import Logging
@testable import PetrelControllers

/// Runs `body` with an apply engine whose client talks to a fresh local API server over HTTP.
func withApplyEngine(
    establishTimeout: Duration = .seconds(60), _ body: @Sendable (ApplyEngine, KubeClient) async throws -> Void
) async throws {
    try await LocalAPIServer.withRunning { url in
        try await KubeClient.withClient(config: KubeConfig(server: url.absoluteString), logger: Logger(label: "test")) {
            client in
            let engine = ApplyEngine(
                client: client, fieldManager: "petrel", logger: Logger(label: "apply"),
                establishTimeout: establishTimeout, deletionTimeout: .seconds(20))
            try await body(engine, client)
        }
    }
}

enum Manifests {
    static let configMaps = GroupVersionResource(group: "", version: "v1", resource: "configmaps")
    static let deployments = GroupVersionResource(group: "apps", version: "v1", resource: "deployments")
    static let services = GroupVersionResource(group: "", version: "v1", resource: "services")
    static let jobs = GroupVersionResource(group: "batch", version: "v1", resource: "jobs")
    static let namespaces = GroupVersionResource(group: "", version: "v1", resource: "namespaces")

    static func namespace(_ name: String) -> JSONValue {
        ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]]
    }

    static func configMap(_ name: String, namespace: String? = "default", data: JSONValue = ["k": "v"],
                          annotations: JSONValue? = nil) -> JSONValue {
        var object: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name)], "data": data]
        if let namespace { object.set(path: ["metadata", "namespace"], to: .string(namespace)) }
        if let annotations { object.set(path: ["metadata", "annotations"], to: annotations) }
        return object
    }

    static func deployment(_ name: String, namespace: String = "default", replicas: JSONValue = 2, image: String = "nginx:1") -> JSONValue {
        [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "spec": [
                "replicas": replicas, "selector": ["matchLabels": ["app": .string(name)]],
                "template": [
                    "metadata": ["labels": ["app": .string(name)]],
                    "spec": ["containers": [["name": "main", "image": .string(image)]]],
                ],
            ],
        ]
    }

    static func service(_ name: String, clusterIP: String, annotations: JSONValue? = nil) -> JSONValue {
        var object: JSONValue = [
            "apiVersion": "v1", "kind": "Service", "metadata": ["name": .string(name), "namespace": "default"],
            "spec": ["clusterIP": .string(clusterIP), "ports": [["port": 80, "name": "http"]], "selector": ["app": "web"]],
        ]
        if let annotations { object.set(path: ["metadata", "annotations"], to: annotations) }
        return object
    }

    static func job(_ name: String, command: String) -> JSONValue {
        [
            "apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": .string(name), "namespace": "default"],
            "spec": [
                "template": [
                    "spec": [
                        "restartPolicy": "Never",
                        "containers": [["name": "main", "image": "busybox", "command": [.string(command)]]],
                    ]
                ]
            ],
        ]
    }

    static let widgetCRD: JSONValue = [
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": ["name": "widgets.example.com"],
        "spec": [
            "group": "example.com", "scope": "Namespaced",
            "names": ["plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"],
            "versions": [
                [
                    "name": "v1", "served": true, "storage": true,
                    "schema": [
                        "openAPIV3Schema": [
                            "type": "object",
                            "properties": [
                                "spec": ["type": "object", "properties": ["size": ["type": "integer"]]]
                            ],
                        ]
                    ],
                ]
            ],
        ],
    ]

    static func widget(_ name: String, namespace: String, size: JSONValue) -> JSONValue {
        [
            "apiVersion": "example.com/v1", "kind": "Widget",
            "metadata": ["name": .string(name), "namespace": .string(namespace)], "spec": ["size": size],
        ]
    }
}

extension KubeClient {
    /// The live object, or nil when it does not exist.
    func getIfPresent(_ resource: GroupVersionResource, namespace: String?, name: String) async throws -> JSONValue? {
        do {
            return try await get(resource, namespace: namespace, name: name)
        } catch where error.isNotFound {
            return nil
        }
    }
}

func actions(_ changeSet: [ChangeSetEntry]) -> [String] { changeSet.map(\.description) }
