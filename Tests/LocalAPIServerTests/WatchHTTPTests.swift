import Foundation
import KubeCore
import Testing

@Suite("Watch over HTTP")
struct WatchHTTPTests {
    /// Runs curl on a watch URL (it ends by the watch's own timeout) and parses the newline-delimited events.
    static func watchEvents(_ cluster: TestCluster, _ path: String) async throws -> [JSONValue] {
        let output = try await cluster.run(
            "/usr/bin/curl", ["-sN", "--max-time", "10", cluster.url.absoluteString + path])
        return try output.stdout.split(separator: "\n").map { try JSONParser.parse(String($0)) }
    }

    @Test("A watch replays changes after a resourceVersion in order, sends bookmarks and honours timeoutSeconds")
    func resumeBookmarksTimeout() async throws {
        try await TestCluster.with { cluster in
            let path = "/api/v1/namespaces/default/configmaps"
            let (_, first) = try await cluster.http("POST", path, json: HTTPTests.configMap("w1"))
            let start = first[path: ["metadata", "resourceVersion"]]?.stringValue ?? ""
            _ = try await cluster.http(
                "PATCH", path + "/w1", json: ["data": ["k": "2"]], contentType: "application/merge-patch+json")
            _ = try await cluster.http("POST", path, json: HTTPTests.configMap("w2"))
            _ = try await cluster.http("DELETE", path + "/w1")
            let began = Date()
            let events = try await Self.watchEvents(
                cluster, path + "?watch=true&resourceVersion=\(start)&allowWatchBookmarks=true&timeoutSeconds=1")
            // timeoutSeconds=1 ends the watch: a generous bound that only catches a watch that never ends.
            #expect(Date().timeIntervalSince(began) < 30)
            let summary = events.map {
                "\($0["type"]?.stringValue ?? ""):\($0[path: ["object", "metadata", "name"]]?.stringValue ?? "")"
            }
            #expect(summary == ["MODIFIED:w1", "ADDED:w2", "DELETED:w1", "BOOKMARK:"])
            let versions = events.dropLast().compactMap {
                $0[path: ["object", "metadata", "resourceVersion"]]?.stringValue.flatMap { Int($0) }
            }
            #expect(versions == versions.sorted() && versions.count == 3)
            let legacy = try await Self.watchEvents(
                cluster, "/api/v1/watch/namespaces/default/configmaps?timeoutSeconds=1")
            #expect(legacy.map { $0[path: ["object", "metadata", "name"]]?.stringValue } == ["w2"])
        }
    }

    @Test("A watch with sendInitialEvents replays the state and ends it with an annotated bookmark")
    func sendInitialEvents() async throws {
        try await TestCluster.with { cluster in
            let path = "/api/v1/namespaces/default/configmaps"
            _ = try await cluster.http("POST", path, json: HTTPTests.configMap("i1"))
            let events = try await Self.watchEvents(
                cluster,
                path + "?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan"
                    + "&allowWatchBookmarks=true&timeoutSeconds=1")
            #expect(events.map { $0["type"] } == ["ADDED", "BOOKMARK"])
            #expect(events.last?[path: ["object", "metadata", "annotations", "k8s.io/initial-events-end"]] == "true")
        }
    }

    @Test("A watch from a resourceVersion older than the kept history gets an ERROR event with 410 Expired")
    func tooOld() async throws {
        try await TestCluster.with(configuration: .init(watchHistory: 5)) { cluster in
            let path = "/api/v1/namespaces/default/configmaps"
            for index in 0..<12 { _ = try await cluster.http("POST", path, json: HTTPTests.configMap("o\(index)")) }
            let events = try await Self.watchEvents(cluster, path + "?watch=true&resourceVersion=2&timeoutSeconds=1")
            #expect(events.count == 1)
            #expect(events.first?["type"] == "ERROR")
            #expect(events.first?[path: ["object", "code"]] == 410)
            #expect(events.first?[path: ["object", "reason"]] == "Expired")
        }
    }

    @Test("Lists and gets answer with a meta.k8s.io Table when asked")
    func tableOutput() async throws {
        try await TestCluster.with { cluster in
            let path = "/api/v1/namespaces/default/configmaps"
            _ = try await cluster.http("POST", path, json: HTTPTests.configMap("t1"))
            let (status, table) = try await cluster.http(
                "GET", path, accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
            #expect(status == 200)
            #expect(table["kind"] == "Table" && table["apiVersion"] == "meta.k8s.io/v1")
            #expect(table["columnDefinitions"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["Name", "Age"])
            #expect(table["rows"]?.arrayValue?.first?["cells"]?.arrayValue?.first == "t1")
        }
    }
}
