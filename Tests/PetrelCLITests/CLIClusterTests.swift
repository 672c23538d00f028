import Foundation
import KubeClient
import KubeCore
import Testing

@Suite(
    "petrel against a local API server", .serialized,
    .enabled(if: haveBinaries, "needs /usr/bin/kubectl and the built petrel binary"))
struct CLIClusterTests {
    typealias C = CLICluster

    @Test("get sources prints a table with Ready, the message, the revision and SUSPENDED, without colours off a TTY")
    func getSourcesTable() async throws {
        try await C.with { cluster in
            try await cluster.setStatus(
                C.gitRepositories, name: "demo",
                [
                    "conditions": [
                        C.readyCondition(
                            true, reason: "Succeeded", message: "stored artifact for revision 'main@sha1:0123abcd'",
                            generation: 1)
                    ],
                    "artifact": [
                        "revision": "main@sha1:0123abcd", "path": "gitrepository/petrel-system/demo/0123abcd.tar.gz",
                        "url": "http://127.0.0.1:9090/x.tar.gz", "digest": "sha256:00",
                        "lastUpdateTime": "2026-01-01T00:00:00Z",
                    ],
                ])
            let output = try await cluster.petrel(["get", "sources"])
            #expect(output.status == 0, "stderr: \(output.stderr)")
            let lines = output.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == 2, "\(output.stdout)")
            let header = lines.first?.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            #expect(header == ["NAME", "READY", "STATUS", "REVISION", "SUSPENDED", "AGE"])
            let row = lines.last ?? ""
            #expect(row.hasPrefix("demo "))
            #expect(row.contains("True"))
            #expect(row.contains("stored artifact for revision 'main@sha1:0123abcd'"))
            #expect(row.contains("main@sha1:0123abcd   False"))
            #expect(!hasEscapeCodes(output.stdout))
            // Columns line up: READY starts at the same offset in the header and the row.
            let headerLine = lines.first ?? ""
            let readyOffset = headerLine.range(of: "READY").map { headerLine.distance(from: headerLine.startIndex, to: $0.lowerBound) }
            let trueOffset = row.range(of: "True").map { row.distance(from: row.startIndex, to: $0.lowerBound) }
            #expect(readyOffset != nil && readyOffset == trueOffset)

            // The kubectl-style aliases reach the same command.
            let alias = try await cluster.petrel(["get", "gitrepositories"])
            // AGE may tick between the two runs: compare everything but the last column.
            let withoutAge = { (text: String) in
                text.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).dropLast() }
            }
            #expect(withoutAge(alias.stdout) == withoutAge(output.stdout))
        }
    }

    @Test("get kustomizations: Unknown before any status, -A adds NAMESPACE, an empty namespace says so on stderr")
    func getKustomizations() async throws {
        try await C.with { cluster in
            let output = try await cluster.petrel(["get", "ks"])
            #expect(output.status == 0, "stderr: \(output.stderr)")
            #expect(output.stdout.contains("demo-app"))
            #expect(output.stdout.contains("Unknown"))

            let all = try await cluster.petrel(["get", "kustomizations", "-A"])
            #expect(all.status == 0)
            #expect(all.stdout.hasPrefix("NAMESPACE "))
            #expect(all.stdout.contains("petrel-system   demo-app"))

            let empty = try await cluster.petrel(["get", "ks", "-n", "default"])
            #expect(empty.status == 0)
            #expect(empty.stdout.isEmpty)
            #expect(empty.stderr.contains("No Kustomizations found in namespace \"default\""))
        }
    }

    @Test("get -o json prints a List of the objects; -o yaml prints YAML; NAME -o json prints the object")
    func getJSONAndYAML() async throws {
        try await C.with { cluster in
            let json = try await cluster.petrel(["get", "ks", "-o", "json"])
            #expect(json.status == 0, "stderr: \(json.stderr)")
            let parsed = try JSONParser.parse(Array(json.stdout.utf8))
            #expect(parsed["kind"]?.stringValue == "List")
            let items = parsed["items"]?.arrayValue ?? []
            #expect(items.count == 1)
            #expect(items.first?.kube.name == "demo-app")
            #expect(items.first?[path: ["spec", "path"]]?.stringValue == "./examples/demo-app")

            let single = try await cluster.petrel(["get", "sources", "demo", "-o", "json"])
            let object = try JSONParser.parse(Array(single.stdout.utf8))
            #expect(object["kind"]?.stringValue == "GitRepository")
            #expect(object[path: ["spec", "url"]]?.stringValue == "git://127.0.0.1:9418/demo.git")

            let yaml = try await cluster.petrel(["get", "sources", "-o", "yaml"])
            #expect(yaml.status == 0)
            #expect(yaml.stdout.contains("kind: List"))
            #expect(yaml.stdout.contains("url: git://127.0.0.1:9418/demo.git"))
        }
    }

    @Test("suspend sets spec.suspend; resume --no-wait clears it and requests a reconcile (RFC 3339 with nanoseconds)")
    func suspendAndResume() async throws {
        try await C.with { cluster in
            let suspend = try await cluster.petrel(["suspend", "kustomization", "demo-app"])
            #expect(suspend.status == 0, "stderr: \(suspend.stderr)")
            var object = try await cluster.client.get(C.kustomizations, namespace: "petrel-system", name: "demo-app")
            #expect(object[path: ["spec", "suspend"]]?.boolValue == true)
            let table = try await cluster.petrel(["get", "ks"])
            #expect(table.stdout.contains("True   "), "SUSPENDED shows True: \(table.stdout)")

            // A suspended object is not reconciled: the CLI says how to resume it.
            let refused = try await cluster.petrel(["reconcile", "ks", "demo-app"])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("petrel resume kustomization demo-app"))

            let resume = try await cluster.petrel(["resume", "ks", "demo-app", "--no-wait"])
            #expect(resume.status == 0, "stderr: \(resume.stderr)")
            object = try await cluster.client.get(C.kustomizations, namespace: "petrel-system", name: "demo-app")
            #expect(object[path: ["spec", "suspend"]]?.boolValue == false)
            let requested = object.kube.annotations[C.annotation] ?? ""
            #expect(requested.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z/) != nil, "\(requested)")
        }
    }

    @Test("resume waits for the controller and exits 0 when it reports Ready=True")
    func resumeWaits() async throws {
        try await C.with { cluster in
            _ = try await cluster.petrel(["suspend", "source", "demo"])
            async let controller = cluster.answerReconcile(
                C.gitRepositories, name: "demo", ready: true, message: "stored artifact for revision 'main@sha1:feed'")
            let output = try await cluster.petrel(["resume", "source", "demo", "--timeout", "90s"])
            let requested = try await controller
            #expect(output.status == 0, "stderr: \(output.stderr)")
            #expect(output.stdout.contains("stored artifact for revision 'main@sha1:feed'"))
            #expect(!requested.isEmpty)
        }
    }

    @Test("reconcile waits until status.lastHandledReconcileAt equals the annotation, then prints Ready's message")
    func reconcileSucceeds() async throws {
        try await C.with { cluster in
            let started = Date()
            async let controller = cluster.answerReconcile(
                C.kustomizations, name: "demo-app", ready: true,
                message: "Applied revision: main@sha1:0123abcd")
            let output = try await cluster.petrel(["reconcile", "kustomization", "demo-app"])
            let requested = try await controller
            #expect(output.status == 0, "stderr: \(output.stderr)")
            #expect(output.stdout.contains("Applied revision: main@sha1:0123abcd"))
            #expect(output.stderr.contains("annotating Kustomization demo-app in petrel-system namespace"))
            let object = try await cluster.client.get(C.kustomizations, namespace: "petrel-system", name: "demo-app")
            #expect(object.kube.annotations[C.annotation] == requested)
            #expect(Date().timeIntervalSince(started) < 60)
        }
    }

    @Test("reconcile exits 1 with the message when the controller reports Ready=False")
    func reconcileFails() async throws {
        try await C.with { cluster in
            async let controller = cluster.answerReconcile(
                C.kustomizations, name: "demo-app", ready: false, message: "kustomization path not found")
            let output = try await cluster.petrel(["reconcile", "ks", "demo-app"])
            _ = try await controller
            #expect(output.status == 1)
            #expect(output.stdout.contains("kustomization path not found"))
            #expect(output.stderr.contains("petrel events --for Kustomization/demo-app"))
        }
    }

    @Test("reconcile --with-source reconciles the GitRepository first, then the Kustomization")
    func reconcileWithSource() async throws {
        try await C.with { cluster in
            async let source = cluster.answerReconcile(
                C.gitRepositories, name: "demo", ready: true, message: "stored artifact for revision 'main@sha1:beef'")
            async let kustomization = cluster.answerReconcile(
                C.kustomizations, name: "demo-app", ready: true, message: "Applied revision: main@sha1:beef")
            let output = try await cluster.petrel(["reconcile", "ks", "demo-app", "--with-source"])
            let sourceRequest = try await source
            let kustomizationRequest = try await kustomization
            #expect(output.status == 0, "stderr: \(output.stderr)")
            let lines = output.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == 2)
            #expect(lines.first?.contains("main@sha1:beef'") == true)
            #expect(lines.last?.contains("Applied revision") == true)
            #expect(sourceRequest <= kustomizationRequest, "the source was asked first")
        }
    }

    @Test("reconcile times out with exit 1 and advice when no controller answers")
    func reconcileTimesOut() async throws {
        try await C.with { cluster in
            let output = try await cluster.petrel(["reconcile", "source", "demo", "--timeout", "1s"])
            #expect(output.status == 1)
            #expect(output.stderr.contains("timed out after 1s"))
            #expect(output.stderr.contains("petrel-controller running"))
        }
    }

    @Test("tree prints the inventory, nested Kustomizations expanded")
    func tree() async throws {
        try await C.with { cluster in
            let child: JSONValue = [
                "apiVersion": "kustomize.petrel.dev/v1", "kind": "Kustomization",
                "metadata": ["name": "child", "namespace": "petrel-system"],
                "spec": [
                    "interval": "5m", "path": "./child", "prune": true,
                    "sourceRef": ["kind": "GitRepository", "name": "demo"],
                ],
            ]
            _ = try await cluster.client.create(C.kustomizations, namespace: "petrel-system", child)
            try await cluster.setStatus(
                C.kustomizations, name: "demo-app",
                [
                    "inventory": [
                        "entries": [
                            ["id": "_demo__Namespace", "v": "v1"],
                            ["id": "demo_web_apps_Deployment", "v": "v1"],
                            ["id": "petrel-system_child_kustomize.petrel.dev_Kustomization", "v": "v1"],
                            ["id": "demo_web__Service", "v": "v1"],
                        ]
                    ]
                ])
            try await cluster.setStatus(
                C.kustomizations, name: "child",
                ["inventory": ["entries": [["id": "demo_settings__ConfigMap", "v": "v1"]]]])
            let output = try await cluster.petrel(["tree", "kustomization", "demo-app"])
            #expect(output.status == 0, "stderr: \(output.stderr)")
            #expect(
                output.stdout == """
                    Kustomization/petrel-system/demo-app
                    ├── Namespace/demo
                    ├── Deployment/demo/web
                    ├── Kustomization/petrel-system/child
                    │   └── ConfigMap/demo/settings
                    └── Service/demo/web

                    """)
        }
    }

    @Test("events lists the Events of Petrel objects oldest first, and --for narrows to one object")
    func events() async throws {
        try await C.with { cluster in
            let events = GroupVersionResource(group: "", version: "v1", resource: "events")
            func event(_ name: String, kind: String, apiVersion: String, object: String, type: String, reason: String,
                       message: String, at time: String) -> JSONValue {
                [
                    "apiVersion": "v1", "kind": "Event",
                    "metadata": ["name": .string(name), "namespace": "petrel-system"],
                    "involvedObject": [
                        "apiVersion": .string(apiVersion), "kind": .string(kind), "name": .string(object),
                        "namespace": "petrel-system",
                    ],
                    "type": .string(type), "reason": .string(reason), "message": .string(message),
                    "firstTimestamp": .string(time), "lastTimestamp": .string(time), "count": 1,
                    "source": ["component": "petrel-controller"],
                ]
            }
            for item in [
                event("e3", kind: "Kustomization", apiVersion: "kustomize.petrel.dev/v1", object: "demo-app",
                      type: "Normal", reason: "ReconciliationSucceeded", message: "applied third", at: "2026-01-01T00:03:00Z"),
                event("e1", kind: "GitRepository", apiVersion: "source.petrel.dev/v1", object: "demo",
                      type: "Warning", reason: "GitOperationFailed", message: "fetched first", at: "2026-01-01T00:01:00Z"),
                event("e2", kind: "Deployment", apiVersion: "apps/v1", object: "web",
                      type: "Normal", reason: "ScalingReplicaSet", message: "not petrel", at: "2026-01-01T00:02:00Z"),
                event("e0", kind: "Kustomization", apiVersion: "kustomize.petrel.dev/v1", object: "other",
                      type: "Normal", reason: "Progressing", message: "zeroth", at: "2026-01-01T00:00:00Z"),
            ] {
                _ = try await cluster.client.create(events, namespace: "petrel-system", item)
            }
            let output = try await cluster.petrel(["events"])
            #expect(output.status == 0, "stderr: \(output.stderr)")
            let lines = output.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first?.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
                == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"])
            #expect(lines.count == 4, "\(output.stdout)")
            #expect(lines.dropFirst().map { $0.split(separator: " ").last.map(String.init) ?? "" }
                == ["zeroth", "first", "third"])
            #expect(!output.stdout.contains("not petrel"))
            #expect(output.stdout.contains("Kustomization/demo-app"))

            let only = try await cluster.petrel(["events", "--for", "ks/demo-app"])
            #expect(only.status == 0)
            let onlyLines = only.stdout.split(separator: "\n")
            #expect(onlyLines.count == 2)
            #expect(onlyLines.last?.contains("applied third") == true)

            let bad = try await cluster.petrel(["events", "--for", "Deployment/web"])
            #expect(bad.status == 2)
        }
    }

    @Test("exit code 3 with advice for a missing object or an unreachable cluster; 2 for usage errors")
    func exitCodes() async throws {
        try await C.with { cluster in
            let missing = try await cluster.petrel(["get", "ks", "nope"])
            #expect(missing.status == 3)
            #expect(missing.stderr.contains("Kustomization \"nope\" in namespace \"petrel-system\" not found"))
            #expect(missing.stderr.contains("petrel get kustomizations -n petrel-system"))

            let reconcileMissing = try await cluster.petrel(["reconcile", "source", "nope"])
            #expect(reconcileMissing.status == 3)
            let suspendMissing = try await cluster.petrel(["suspend", "ks", "nope"])
            #expect(suspendMissing.status == 3)
            let treeMissing = try await cluster.petrel(["tree", "ks", "nope"])
            #expect(treeMissing.status == 3)

            let badFormat = try await cluster.petrel(["get", "ks", "-o", "xml"])
            #expect(badFormat.status == 2)
            #expect(badFormat.stderr.contains("unknown output format 'xml'"))
            let unknownCommand = try await cluster.petrel(["frobnicate"])
            #expect(unknownCommand.status == 2)
            let badTimeout = try await cluster.petrel(["reconcile", "ks", "demo-app", "--timeout", "soon"])
            #expect(badTimeout.status == 2)

            let noFile = try await cluster.petrel(["get", "ks", "--kubeconfig", "/nonexistent/kubeconfig"])
            #expect(noFile.status == 3)
            #expect(noFile.stderr.contains("--kubeconfig"))
        }
        // A kubeconfig pointing at a port nobody listens on.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let kubeconfig = directory.appendingPathComponent("kubeconfig").path
        try LocalAPIServerKubeconfig.write(server: "http://127.0.0.1:1", to: kubeconfig)
        var environment = ProcessInfo.processInfo.environment
        environment["KUBECONFIG"] = kubeconfig
        let down = try await CLICluster.run(petrelBinary, ["get", "ks"], environment: environment, in: directory)
        #expect(down.status == 3)
        #expect(down.stderr.contains("cannot reach the cluster at http://127.0.0.1:1"))
    }

    @Test("version and help exit 0")
    func versionAndHelp() async throws {
        let directory = FileManager.default.temporaryDirectory
        let version = try await CLICluster.run(petrelBinary, ["version"], environment: [:], in: directory)
        #expect(version.status == 0)
        #expect(version.stdout == "petrel 0.1.0-dev\n")
        let help = try await CLICluster.run(petrelBinary, ["get", "--help"], environment: [:], in: directory)
        #expect(help.status == 0)
        #expect(help.stdout.contains("kustomizations"))
    }
}

/// A kubeconfig for an arbitrary server URL.
enum LocalAPIServerKubeconfig {
    static func write(server: String, to path: String) throws {
        let text = """
            apiVersion: v1
            kind: Config
            clusters:
            - name: c
              cluster:
                server: \(server)
            users:
            - name: u
              user: {}
            contexts:
            - name: x
              context:
                cluster: c
                user: u
            current-context: x

            """
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
