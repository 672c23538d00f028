import KubeCore
import Testing

@Suite("Status, watch events, paths and metadata accessors")
struct CoreTypesTests {
    @Test("parses a metav1 Status with causes")
    func status() throws {
        let json = try JSONParser.parse(
            #"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"bad","reason":"Invalid","code":422,"details":{"name":"x","kind":"ConfigMap","causes":[{"reason":"FieldValueRequired","message":"required","field":"data.a"}]}}"#)
        let status = try #require(Status(json: json))
        #expect(status.code == 422)
        #expect(status.reason == "Invalid")
        #expect(status.detailsKind == "ConfigMap")
        #expect(status.causes == [Status.Cause(reason: "FieldValueRequired", message: "required", field: "data.a")])
        #expect(Status(json: status.json) == status)
        #expect(Status(json: ["kind": "ConfigMap"]) == nil)
    }

    @Test("parses watch events and splits lines across chunks")
    func watchEvents() throws {
        let stream = Array(#"{"type":"ADDED","object":{"kind":"A"}}"#.utf8) + [10] + Array(#"{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"7"}}}"#.utf8) + [13, 10]
            + Array(#"{"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired"}}"#.utf8)
        for chunkSize in [1, 3, 7, 64, 1000] {
            var splitter = LineSplitter()
            var lines: [[UInt8]] = []
            var index = 0
            while index < stream.count {
                lines += try splitter.append(stream[index..<min(index + chunkSize, stream.count)])
                index += chunkSize
            }
            if let last = splitter.finish() { lines.append(last) }
            let events = try lines.map { line in try WatchEvent(line: line) }
            #expect(events.map(\.type) == [.added, .bookmark, .error], "chunk size \(chunkSize)")
            #expect(events[1].object.kube.resourceVersion == "7")
            #expect(events[2].status?.code == 410)
        }
        #expect(throws: WatchEventError.self) { try WatchEvent(line: Array(#"{"type":"NOPE","object":{}}"#.utf8)) }
        var small = LineSplitter(maxLineLength: 4)
        #expect(throws: LineTooLongError.self) { try small.append(Array("abcdef".utf8)) }
    }

    @Test("builds request paths and query strings")
    func paths() {
        let deployments = GroupVersionResource(group: "apps", version: "v1", resource: "deployments")
        #expect(ResourcePath(resource: deployments).path == "/apis/apps/v1/deployments")
        #expect(ResourcePath(resource: deployments, namespace: "ns", name: "web", subresource: "status").path == "/apis/apps/v1/namespaces/ns/deployments/web/status")
        let pods = GroupVersionResource(group: "", version: "v1", resource: "pods")
        #expect(ResourcePath(resource: pods, namespace: "a b", name: "x").path == "/api/v1/namespaces/a%20b/pods/x")
        let options = QueryOptions(
            labelSelector: "app in (a,b)", limit: 5, continueToken: "tok=", resourceVersion: "10", watch: true,
            allowWatchBookmarks: true, timeoutSeconds: 30, dryRun: true, fieldManager: "petrel", force: true,
            propagationPolicy: .foreground)
        #expect(
            options.queryString
                == "labelSelector=app%20in%20%28a%2Cb%29&limit=5&continue=tok%3D&resourceVersion=10&watch=true&allowWatchBookmarks=true&timeoutSeconds=30&dryRun=All&fieldManager=petrel&force=true&propagationPolicy=Foreground")
        #expect(ResourcePath(resource: pods).url() == "/api/v1/pods")
    }

    @Test("reads and writes metadata through the kube accessor")
    func accessor() throws {
        var object = try JSONParser.parse(
            #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"ns","uid":"u1","resourceVersion":"5","generation":2,"labels":{"b":"2","a":"1"},"finalizers":["f1"],"deletionTimestamp":"2024-01-01T00:00:00Z"}}"#)
        #expect(object.kube.name == "web")
        #expect(object.kube.namespace == "ns")
        #expect(object.kube.uid == "u1")
        #expect(object.kube.resourceVersion == "5")
        #expect(object.kube.generation == 2)
        #expect(object.kube.labels == ["a": "1", "b": "2"])
        #expect(object.kube.finalizers == ["f1"])
        #expect(object.kube.isBeingDeleted)
        #expect(object.kube.groupVersionKind == GroupVersionKind(group: "apps", version: "v1", kind: "Deployment"))
        object.kube.labels["c"] = "3"
        object.kube.annotations = ["note": "x"]
        object.kube.finalizers = []
        object.kube.namespace = nil
        #expect(JSONSerializer.string(object[path: ["metadata", "labels"]] ?? .null) == #"{"b":"2","a":"1","c":"3"}"#)
        #expect(object[path: ["metadata", "finalizers"]] == nil)
        #expect(object[path: ["metadata", "namespace"]] == nil)
        #expect(object.kube.annotations == ["note": "x"])
    }
}
