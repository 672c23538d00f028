import Foundation
import Testing

@Suite("Python kubernetes client")
struct PythonWatchTests {
    static let script = #"""
        import sys
        from kubernetes import client, config, watch
        from kubernetes.client.rest import ApiException
        config.load_kube_config(sys.argv[1])
        v1 = client.CoreV1Api()
        ns = "default"
        first = v1.create_namespaced_config_map(ns, {"metadata": {"name": "py-a"}, "data": {"k": "1"}})
        rv = first.metadata.resource_version
        v1.patch_namespaced_config_map("py-a", ns, {"data": {"k": "2"}})
        v1.create_namespaced_config_map(ns, {"metadata": {"name": "py-b"}})
        v1.delete_namespaced_config_map("py-a", ns)
        seen = []
        w = watch.Watch()
        for event in w.stream(v1.list_namespaced_config_map, ns, resource_version=rv, timeout_seconds=5):
            seen.append(event["type"] + ":" + event["object"].metadata.name)
            if len(seen) == 3:
                w.stop()
        print("EVENTS " + ",".join(seen))
        for i in range(40):
            v1.create_namespaced_config_map(ns, {"metadata": {"name": "fill-%d" % i}})
        try:
            for event in watch.Watch().stream(v1.list_namespaced_config_map, ns, resource_version=rv, timeout_seconds=5):
                print("UNEXPECTED " + event["type"])
                break
        except ApiException as error:
            print("GONE %d" % error.status)
        """#

    @Test(
        "The Python client resumes a watch from a resourceVersion and gets 410 when it is too old",
        .enabled(if: venvPython != nil, "needs the Python venv (PETREL_VENV or .petrel/venv) with `kubernetes`"))
    func resumeAndGone() async throws {
        let python = try #require(venvPython)
        try await TestCluster.with(configuration: .init(watchHistory: 20)) { cluster in
            let scriptPath = cluster.directory.appendingPathComponent("watch.py").path
            try Self.script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
            let output = try await cluster.run(python, [scriptPath, cluster.kubeconfig])
            #expect(output.status == 0, "\(output.stderr)")
            #expect(
                output.stdout.contains("EVENTS MODIFIED:py-a,ADDED:py-b,DELETED:py-a"),
                "\(output.stdout)\(output.stderr)")
            #expect(output.stdout.contains("GONE 410"), "\(output.stdout)\(output.stderr)")
        }
    }
}
