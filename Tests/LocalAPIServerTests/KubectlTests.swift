import Foundation
import KubeCore
import Testing

@Suite("kubectl against the local API server")
struct KubectlTests {
    @Test("A CRD applied with kubectl is established and served at once, with its printer columns")
    func crdServedWithPrinterColumns() async throws {
        try await TestCluster.with { cluster in
            let apply = try await cluster.kubectl(["apply", "-f", "-"], stdin: widgetCRD)
            #expect(apply.status == 0, "\(apply.stderr)")
            #expect(apply.stderr.isEmpty, "kubectl apply warned: \(apply.stderr)")
            let established = try await cluster.kubectl([
                "get", "crd", "widgets.test.petrel.dev", "-o",
                "jsonpath={.status.conditions[?(@.type==\"Established\")].status}",
            ])
            #expect(established.stdout == "True")
            let resources = try await cluster.kubectl(["api-resources", "--api-group=test.petrel.dev"])
            #expect(resources.status == 0, "\(resources.stderr)")
            let line = resources.stdout.split(separator: "\n").first { $0.hasPrefix("widgets") }.map(String.init) ?? ""
            #expect(
                line.contains("wd") && line.contains("test.petrel.dev/v1") && line.contains("true")
                    && line.contains("Widget"))

            let widget = """
                apiVersion: test.petrel.dev/v1
                kind: Widget
                metadata: {name: w1, labels: {tier: front}}
                spec: {size: 3, color: red}
                """
            let created = try await cluster.kubectl(["apply", "-f", "-"], stdin: widget)
            #expect(created.status == 0, "\(created.stderr)")
            #expect(created.stdout.contains("widget.test.petrel.dev/w1 created"))
            let table = try await cluster.kubectl(["get", "widgets"])
            #expect(table.status == 0, "\(table.stderr)")
            let lines = table.stdout.split(separator: "\n").map(String.init)
            #expect(
                lines.first?.split(separator: " ", omittingEmptySubsequences: true) == ["NAME", "SIZE", "READY", "AGE"])
            let row = lines.dropFirst().first?.split(separator: " ").map(String.init) ?? []
            #expect(row.prefix(2) == ["w1", "3"])
            #expect(row.last?.hasSuffix("s") == true, "AGE is a human duration: \(row)")
        }
    }

    @Test("kubectl get -w sees a status change and kubectl wait returns once Ready is True")
    func watchAndWait() async throws {
        try await TestCluster.with { cluster in
            _ = try await cluster.kubectl(["apply", "-f", "-"], stdin: widgetCRD)
            _ = try await cluster.kubectl(
                ["apply", "-f", "-"],
                stdin: """
                    apiVersion: test.petrel.dev/v1
                    kind: Widget
                    metadata: {name: w2}
                    spec: {size: 1}
                    """)
            let (watcher, output) = try cluster.startKubectl(["get", "widgets", "-w"])
            defer { if watcher.isRunning { watcher.terminate() } }
            let sawInitial = try await eventually {
                ((try? String(contentsOf: output, encoding: .utf8)) ?? "").contains("w2")
            }
            #expect(sawInitial)
            let (waiter, waitOutput) = try cluster.startKubectl([
                "wait", "--for=condition=Ready", "widget/w2", "--timeout=60s",
            ])
            try await Task.sleep(for: .milliseconds(300))
            let status: JSONValue = [
                "status": [
                    "conditions": [
                        [
                            "type": "Ready", "status": "True", "reason": "Done", "message": "",
                            "lastTransitionTime": "2026-01-01T00:00:00Z",
                        ]
                    ]
                ]
            ]
            let (code, _) = try await cluster.http(
                "PATCH", "/apis/test.petrel.dev/v1/namespaces/default/widgets/w2/status", json: status,
                contentType: "application/merge-patch+json")
            #expect(code == 200)
            let sawReady = try await eventually {
                ((try? String(contentsOf: output, encoding: .utf8)) ?? "").split(separator: "\n")
                    .contains { $0.hasPrefix("w2") && $0.contains("True") }
            }
            #expect(sawReady, "watch output: \((try? String(contentsOf: output, encoding: .utf8)) ?? "")")
            let waited = try await eventually(seconds: 60) { !waiter.isRunning }
            #expect(waited)
            #expect(waiter.terminationStatus == 0, "\((try? String(contentsOf: waitOutput, encoding: .utf8)) ?? "")")
        }
    }

    @Test("kubectl patch works with merge, json and strategic patches")
    func patches() async throws {
        try await TestCluster.with { cluster in
            let deployment = """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web}
                spec:
                  replicas: 1
                  selector: {matchLabels: {app: web}}
                  template:
                    metadata: {labels: {app: web}}
                    spec:
                      containers:
                      - name: app
                        image: nginx:1
                        env: [{name: A, value: "1"}]
                      - name: sidecar
                        image: busybox
                """
            #expect(try await cluster.kubectl(["apply", "-f", "-"], stdin: deployment).status == 0)
            let strategic = try await cluster.kubectl([
                "patch", "deployment", "web", "-p",
                #"{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"nginx:2"}]}}}}"#,
            ])
            #expect(strategic.status == 0, "\(strategic.stderr)")
            let images = try await cluster.kubectl([
                "get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[*].image}",
            ])
            #expect(images.stdout == "nginx:2 busybox")
            let env = try await cluster.kubectl([
                "get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].env[0].value}",
            ])
            #expect(env.stdout == "1")
            let merge = try await cluster.kubectl([
                "patch", "deployment", "web", "--type=merge", "-p", #"{"spec":{"replicas":3}}"#,
            ])
            #expect(merge.status == 0, "\(merge.stderr)")
            let json = try await cluster.kubectl([
                "patch", "deployment", "web", "--type=json", "-p",
                #"[{"op":"replace","path":"/spec/replicas","value":5}]"#,
            ])
            #expect(json.status == 0, "\(json.stderr)")
            let object = try JSONParser.parse(try await cluster.kubectl(["get", "deploy", "web", "-o", "json"]).stdout)
            #expect(object[path: ["spec", "replicas"]] == 5)
            #expect(object[path: ["metadata", "generation"]] == 4)
        }
    }

    @Test("kubectl apply client-side and server-side update and prune fields")
    func applyModes() async throws {
        try await TestCluster.with { cluster in
            let first = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {a: '1', b: '2'}\n"
            #expect(try await cluster.kubectl(["apply", "-f", "-"], stdin: first).status == 0)
            let second = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {a: '10'}\n"
            let updated = try await cluster.kubectl(["apply", "-f", "-"], stdin: second)
            #expect(updated.status == 0, "\(updated.stderr)")
            #expect(updated.stdout.contains("configured"))
            let data = try JSONParser.parse(try await cluster.kubectl(["get", "cm", "cfg", "-o", "json"]).stdout)[
                "data"]
            #expect(data == ["a": "10"])
            let configMapGeneration = try await cluster.kubectl(["get", "cm", "cfg", "-o", "jsonpath={.metadata.generation}"])
            #expect(configMapGeneration.stdout.isEmpty, "ConfigMaps carry no generation")
            let unchanged = try await cluster.kubectl(["apply", "-f", "-"], stdin: second)
            #expect(unchanged.stdout.contains("unchanged"))

            let ssa1 = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndata: {x: '1', y: '2'}\n"
            let applied = try await cluster.kubectl(["apply", "--server-side", "-f", "-"], stdin: ssa1)
            #expect(applied.status == 0, "\(applied.stderr)")
            #expect(applied.stdout.contains("serverside-applied"))
            let ssa2 = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndata: {x: '3'}\n"
            #expect(try await cluster.kubectl(["apply", "--server-side", "-f", "-"], stdin: ssa2).status == 0)
            let object = try JSONParser.parse(
                try await cluster.kubectl(["get", "cm", "ssa", "-o", "json", "--show-managed-fields"]).stdout)
            #expect(object["data"] == ["x": "3"])
            let managers = object[path: ["metadata", "managedFields"]]?.arrayValue?.compactMap {
                $0["manager"]?.stringValue
            }
            #expect(managers == ["kubectl"])
            let conflicting = try await cluster.kubectl(
                ["apply", "--server-side", "--field-manager=other", "-f", "-"],
                stdin: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndata: {x: '4'}\n")
            #expect(conflicting.status != 0)
            #expect(conflicting.stderr.contains("conflict"))
            let forced = try await cluster.kubectl(
                ["apply", "--server-side", "--force-conflicts", "--field-manager=other", "-f", "-"],
                stdin: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndata: {x: '4'}\n")
            #expect(forced.status == 0, "\(forced.stderr)")
        }
    }

    @Test("kubectl delete removes objects at once, or after their finalizers are removed")
    func deleteWithFinalizers() async throws {
        try await TestCluster.with { cluster in
            let plain = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\ndata: {k: v}\n"
            #expect(try await cluster.kubectl(["apply", "-f", "-"], stdin: plain).status == 0)
            let deleted = try await cluster.kubectl(["delete", "configmap", "plain"])
            #expect(deleted.status == 0, "\(deleted.stderr)")
            #expect(try await cluster.kubectl(["get", "configmap", "plain"]).stderr.contains("NotFound"))

            let held = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: held, finalizers: [test.petrel.dev/hold]}\n"
            #expect(try await cluster.kubectl(["apply", "-f", "-"], stdin: held).status == 0)
            #expect(try await cluster.kubectl(["delete", "configmap", "held", "--wait=false"]).status == 0)
            let marked = try await cluster.kubectl([
                "get", "configmap", "held", "-o", "jsonpath={.metadata.deletionTimestamp}",
            ])
            #expect(marked.status == 0 && !marked.stdout.isEmpty)
            #expect(
                try await cluster.kubectl([
                    "patch", "configmap", "held", "--type=merge", "-p", #"{"metadata":{"finalizers":null}}"#,
                ]).status == 0)
            #expect(try await cluster.kubectl(["get", "configmap", "held"]).stderr.contains("NotFound"))
        }
    }

    @Test("kubectl create generators work although kubectl sends protobuf for built-in kinds")
    func createGenerators() async throws {
        try await TestCluster.with { cluster in
            #expect(try await cluster.kubectl(["create", "namespace", "gen"]).status == 0)
            let configMap = try await cluster.kubectl(["create", "configmap", "c1", "-n", "gen", "--from-literal=a=b"])
            #expect(configMap.status == 0, "\(configMap.stderr)")
            let secret = try await cluster.kubectl([
                "create", "secret", "generic", "s1", "-n", "gen", "--from-literal=p=q",
            ])
            #expect(secret.status == 0, "\(secret.stderr)")
            #expect(
                try await cluster.kubectl(["get", "cm", "c1", "-n", "gen", "-o", "jsonpath={.data.a}"]).stdout == "b")
            let secretData = try await cluster.kubectl([
                "get", "secret", "s1", "-n", "gen", "-o", "jsonpath={.data.p} {.type}",
            ])
            #expect(secretData.stdout == "cQ== Opaque")
            let unsupported = try await cluster.kubectl(["create", "deployment", "d", "-n", "gen", "--image=x"])
            #expect(unsupported.status != 0 && unsupported.stderr.contains("unknown format"))
        }
    }

    @Test("kubectl get -l filters by label selector")
    func labelSelectors() async throws {
        try await TestCluster.with { (cluster: TestCluster) async throws -> Void in
            for (name, tier) in [("a", "front"), ("b", "back"), ("c", "front")] {
                let object = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \(name)}\n"
                #expect(try await cluster.kubectl(["apply", "-f", "-"], stdin: object).status == 0)
                #expect(try await cluster.kubectl(["label", "configmap", name, "tier=\(tier)"]).status == 0)
            }
            func names(_ selector: String) async throws -> String {
                try await cluster.kubectl(["get", "cm", "-l", selector, "-o", "jsonpath={.items[*].metadata.name}"])
                    .stdout
            }
            #expect(try await names("tier=front") == "a c")
            #expect(try await names("tier!=front") == "b")
            #expect(try await names("tier in (back,front)") == "a b c")
            #expect(try await names("tier notin (front)") == "b")
            #expect(try await names("tier") == "a b c")
            #expect(try await names("!tier") == "")
        }
    }
}
