import Foundation
import KubeCore
import LocalAPIServer
import Logging
import Testing

@Suite("Helm chart charts/petrel", .enabled(if: Helm.available, Helm.skipReason))
struct ChartTests {
    /// Every petrel-controller flag of the contract; each must be reachable from values.yaml.
    static let contractFlags = [
        "--kubeconfig", "--context", "--concurrency", "--leader-elect", "--no-leader-elect",
        "--leader-election-namespace", "--leader-election-id", "--lease-duration", "--renew-deadline",
        "--retry-period", "--metrics-addr", "--health-addr", "--watch-label-selector", "--log-level",
        "--log-encoding", "--storage-path", "--storage-addr", "--storage-adv-addr", "--requeue-dependency",
        "--build-timeout", "--no-cross-namespace-refs", "--no-remote-bases", "--default-service-account", "--require-secret-url-binding",
        "--kube-api-qps",
        "--kube-api-burst", "--graceful-shutdown-timeout", "--watch-idle-timeout", "--controllers",
    ]

    @Test("the chart's crds/ are byte-identical to the repository's crds/")
    func crdsIdentical() throws {
        let repo = Helm.repositoryRoot.appendingPathComponent("crds")
        let chart = Helm.chart.appendingPathComponent("crds")
        let names = try FileManager.default.contentsOfDirectory(atPath: repo.path).sorted()
        #expect(!names.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: chart.path).sorted() == names)
        for name in names {
            let ours = FileManager.default.contents(atPath: chart.appendingPathComponent(name).path)
            let theirs = FileManager.default.contents(atPath: repo.appendingPathComponent(name).path)
            #expect(ours != nil && ours == theirs, "charts/petrel/crds/\(name) differs from crds/\(name): copy it again")
        }
    }

    @Test("helm lint --strict finds no warning or error")
    func lint() async throws {
        let result = try await Helm.call("lint")
        #expect(result["error"] == nil, "\(result)")
        #expect(result["total_charts_linted"]?.integerValue == 1)
        let serious = (result["messages"]?.arrayValue ?? []).filter { ($0["severity"]?.integerValue ?? 3) >= 2 }
        #expect(serious.isEmpty, "\(serious)")
        #expect(result["errors"]?.arrayValue?.isEmpty == true)
    }

    @Test("defaults: one replica without leader election, secure pod, probes on 9440, services, cluster-admin binding")
    func defaults() async throws {
        let (objects, seconds) = try await Helm.render()
        print("chart render time (defaults): \(String(format: "%.3f", seconds)) s")
        #expect(seconds >= 0 && seconds < 10)
        let deployment = try #require(objects.object(kind: "Deployment", name: "petrel"))
        #expect(deployment.kube.namespace == "petrel-system")
        #expect(deployment[path: ["spec", "replicas"]]?.integerValue == 1)
        let args = deployment.managerArgs
        #expect(args.contains("--no-leader-elect"))
        #expect(!args.contains("--leader-elect"))
        #expect(args.contains("--storage-path=/data"))
        #expect(args.contains("--storage-addr=:9090"))
        #expect(args.contains("--storage-adv-addr=petrel-artifacts.petrel-system.svc.cluster.local:80"))
        #expect(args.contains("--health-addr=:9440"))
        #expect(args.contains("--metrics-addr=:8080"))
        #expect(!args.contains { $0.hasPrefix("--default-service-account") })
        #expect(!args.contains("--require-secret-url-binding"))

        let pod = try #require(deployment[path: ["spec", "template", "spec"]])
        #expect(pod["serviceAccountName"]?.stringValue == "petrel")
        #expect(pod[path: ["securityContext", "runAsNonRoot"]]?.boolValue == true)
        #expect(pod[path: ["securityContext", "seccompProfile", "type"]]?.stringValue == "RuntimeDefault")
        let container = try #require(pod["containers"]?.arrayValue?.first)
        #expect(container["command"]?.arrayValue?.first?.stringValue == "/usr/local/bin/petrel-controller")
        let security = try #require(container["securityContext"])
        #expect(security["readOnlyRootFilesystem"]?.boolValue == true)
        #expect(security["allowPrivilegeEscalation"]?.boolValue == false)
        #expect(security[path: ["capabilities", "drop"]] == ["ALL"])
        #expect(security[path: ["seccompProfile", "type"]]?.stringValue == "RuntimeDefault")
        #expect(container[path: ["resources", "requests", "memory"]] != nil)
        #expect(container[path: ["resources", "limits", "memory"]] != nil)
        #expect(container[path: ["livenessProbe", "httpGet", "path"]]?.stringValue == "/healthz")
        #expect(container[path: ["readinessProbe", "httpGet", "path"]]?.stringValue == "/readyz")
        let ports = container["ports"]?.arrayValue ?? []
        func port(_ name: String) -> Int64? {
            ports.first { $0["name"]?.stringValue == name }?["containerPort"]?.integerValue
        }
        #expect(port("healthz") == 9440)
        #expect(port("http") == 9090)
        #expect(port("http-metrics") == 8080)
        let mounts = (container["volumeMounts"]?.arrayValue ?? []).compactMap { $0["mountPath"]?.stringValue }
        #expect(Set(mounts) == ["/data", "/tmp"])
        let volumes = pod["volumes"]?.arrayValue ?? []
        #expect(volumes.count == 2)
        #expect(volumes.allSatisfy { $0["emptyDir"] != nil })

        let artifacts = try #require(objects.object(kind: "Service", name: "petrel-artifacts"))
        #expect(artifacts[path: ["spec", "ports"]]?.arrayValue?.first?["port"]?.integerValue == 80)
        #expect(artifacts[path: ["spec", "ports"]]?.arrayValue?.first?["targetPort"]?.stringValue == "http")
        let metrics = try #require(objects.object(kind: "Service", name: "petrel-metrics"))
        #expect(metrics[path: ["spec", "ports"]]?.arrayValue?.first?["port"]?.integerValue == 8080)
        #expect(artifacts[path: ["spec", "selector"]] == deployment[path: ["spec", "selector", "matchLabels"]])

        #expect(objects.object(kind: "ServiceAccount", name: "petrel") != nil)
        let role = try #require(objects.object(kind: "ClusterRole", name: "petrel"))
        let rules = role["rules"]?.arrayValue ?? []
        func verbs(_ group: String, _ resource: String) -> Set<String> { Self.verbs(rules, group, resource) }
        #expect(verbs("source.petrel.dev", "gitrepositories").isSuperset(of: ["get", "list", "watch", "patch"]))
        #expect(verbs("source.petrel.dev", "gitrepositories/status").contains("patch"))
        #expect(verbs("source.petrel.dev", "gitrepositories/finalizers").contains("update"))
        #expect(verbs("kustomize.petrel.dev", "kustomizations").isSuperset(of: ["get", "list", "watch", "patch"]))
        #expect(verbs("kustomize.petrel.dev", "kustomizations/status").contains("patch"))
        #expect(verbs("kustomize.petrel.dev", "kustomizations/finalizers").contains("update"))
        #expect(verbs("", "events") == ["create", "get", "patch"])
        #expect(verbs("", "secrets") == ["get"], "no list or watch: the controller has no Secret informer")
        #expect(verbs("", "configmaps") == ["get"])
        #expect(!rules.contains { ($0["verbs"]?.arrayValue ?? []).contains("*") }, "no wildcard verbs")
        #expect(verbs("", "serviceaccounts").isEmpty)
        let admin = try #require(objects.object(kind: "ClusterRoleBinding", name: "petrel-cluster-admin"))
        #expect(admin[path: ["roleRef", "name"]]?.stringValue == "cluster-admin")
        #expect(objects.objects(kind: "Role").isEmpty, "no lease Role without leader election")
    }

    @Test("replicas > 1 turns on leader election with a Lease Role in the release namespace")
    func leaderElection() async throws {
        let (objects, _) = try await Helm.render(["replicas": 3], namespace: "gitops")
        let deployment = try #require(objects.object(kind: "Deployment", name: "petrel"))
        #expect(deployment[path: ["spec", "replicas"]]?.integerValue == 3)
        let args = deployment.managerArgs
        #expect(args.contains("--leader-elect"))
        #expect(args.contains("--leader-election-namespace=gitops"))
        #expect(args.contains("--leader-election-id=petrel-controller"))
        #expect(!args.contains("--no-leader-elect"))
        #expect(deployment[path: ["spec", "strategy", "type"]]?.stringValue != "Recreate")
        let role = try #require(objects.object(kind: "Role", name: "petrel-leader-election"))
        #expect(role.kube.namespace == "gitops")
        let leaseRule = role["rules"]?.arrayValue?.first { ($0["resources"]?.arrayValue ?? []).contains("leases") }
        #expect(leaseRule?["apiGroups"] == ["coordination.k8s.io"])
        let binding = try #require(objects.object(kind: "RoleBinding", name: "petrel-leader-election"))
        #expect(binding[path: ["subjects"]]?.arrayValue?.first?["namespace"]?.stringValue == "gitops")

        // Forced off even with several replicas.
        let (forced, _) = try await Helm.render(["replicas": 2, "leaderElection": ["enabled": false]])
        #expect(forced.object(kind: "Deployment", name: "petrel")?.managerArgs.contains("--no-leader-elect") == true)
    }

    /// The verbs `rules` grant on `resource` of `group`.
    static func verbs(_ rules: [JSONValue], _ group: String, _ resource: String) -> Set<String> {
        Set(
            rules.filter {
                ($0["apiGroups"]?.arrayValue ?? []).contains(.string(group))
                    && ($0["resources"]?.arrayValue ?? []).contains(.string(resource))
            }.flatMap { ($0["verbs"]?.arrayValue ?? []).compactMap(\.stringValue) })
    }

    @Test("tenant mode: no cluster-admin, default service account 'default', no cross-namespace refs, bound Secrets")
    func tenancy() async throws {
        let (objects, _) = try await Helm.render(["tenancy": ["enabled": true]])
        let args = try #require(objects.object(kind: "Deployment", name: "petrel")).managerArgs
        #expect(args.contains("--default-service-account=default"))
        #expect(args.contains("--no-cross-namespace-refs"))
        #expect(args.contains("--require-secret-url-binding"))
        #expect(objects.object(kind: "ClusterRoleBinding", name: "petrel-cluster-admin") == nil)
        #expect(!objects.contains { $0[path: ["roleRef", "name"]]?.stringValue == "cluster-admin" })
        #expect(objects.object(kind: "ClusterRoleBinding", name: "petrel") != nil)
        let rules = objects.object(kind: "ClusterRole", name: "petrel")?["rules"]?.arrayValue ?? []
        #expect(Self.verbs(rules, "", "serviceaccounts") == ["get", "impersonate"])
        #expect(Self.verbs(rules, "", "secrets") == ["get"], "GitRepository secretRef only")
        #expect(Self.verbs(rules, "", "configmaps").isEmpty, "substituteFrom is read as the tenant")

        // Explicit choices still apply, but cluster-admin cannot be combined with tenant mode.
        let (named, _) = try await Helm.render([
            "tenancy": ["enabled": true, "defaultServiceAccount": "applier", "requireSecretURLBinding": false],
            "rbac": ["clusterAdmin": false],
        ])
        let namedArgs = named.object(kind: "Deployment", name: "petrel")?.managerArgs ?? []
        #expect(namedArgs.contains("--default-service-account=applier"))
        #expect(!namedArgs.contains("--require-secret-url-binding"))
        let admin = try await Helm.call("render", values: ["tenancy": ["enabled": true], "rbac": ["clusterAdmin": true]])
        #expect(admin["error"]?.stringValue == "HelmRenderError", "\(admin)")
        #expect(admin["message"]?.stringValue?.contains("rbac.clusterAdmin") == true)
        let refused = try await Helm.call(
            "render", values: ["tenancy": ["enabled": true, "defaultServiceAccount": ""]])
        #expect(refused["error"]?.stringValue == "HelmValuesError")
        #expect(refused["message"]?.stringValue?.contains("defaultServiceAccount") == true)

        // Least privilege without tenant mode: impersonation for spec.serviceAccountName, no cluster-admin.
        let (plain, _) = try await Helm.render(["rbac": ["clusterAdmin": false]])
        #expect(plain.object(kind: "ClusterRoleBinding", name: "petrel-cluster-admin") == nil)
        let plainRules = plain.object(kind: "ClusterRole", name: "petrel")?["rules"]?.arrayValue ?? []
        #expect(Self.verbs(plainRules, "", "serviceaccounts") == ["get", "impersonate"])
        #expect(Self.verbs(plainRules, "", "configmaps") == ["get"])
    }

    @Test("hygiene: no PDB by default, an opt-in one selecting the pod; image by digest; ephemeral-storage request")
    func hygiene() async throws {
        let (defaults, _) = try await Helm.render()
        #expect(defaults.objects(kind: "PodDisruptionBudget").isEmpty, "a PDB on one replica would block drains")
        let deployment = try #require(defaults.object(kind: "Deployment", name: "petrel"))
        let container = deployment[path: ["spec", "template", "spec", "containers"]]?.arrayValue?.first
        #expect(container?[path: ["resources", "requests", "ephemeral-storage"]]?.stringValue == "512Mi")
        #expect(container?["image"]?.stringValue?.hasPrefix("ghcr.io/petrel-dev/petrel:") == true)

        let digest = "sha256:" + String(repeating: "ab", count: 32)
        let (pinned, _) = try await Helm.render([
            "replicas": 2, "podDisruptionBudget": ["enabled": true], "image": ["digest": .string(digest), "tag": "x"],
        ])
        let pdb = try #require(pinned.object(kind: "PodDisruptionBudget", name: "petrel"))
        #expect(pdb[path: ["spec", "maxUnavailable"]]?.integerValue == 1)
        #expect(pdb[path: ["spec", "minAvailable"]] == nil)
        let pinnedDeployment = try #require(pinned.object(kind: "Deployment", name: "petrel"))
        #expect(pdb[path: ["spec", "selector", "matchLabels"]] == pinnedDeployment[path: ["spec", "selector", "matchLabels"]])
        let image = pinnedDeployment[path: ["spec", "template", "spec", "containers"]]?.arrayValue?.first?["image"]
        #expect(image?.stringValue == "ghcr.io/petrel-dev/petrel@\(digest)")
        let (minimum, _) = try await Helm.render(["podDisruptionBudget": ["enabled": true, "minAvailable": 1]])
        let minimumPDB = minimum.object(kind: "PodDisruptionBudget", name: "petrel")
        #expect(minimumPDB?[path: ["spec", "minAvailable"]]?.integerValue == 1)
        #expect(minimumPDB?[path: ["spec", "maxUnavailable"]] == nil)

        let refused = try await Helm.call("render", values: ["image": ["digest": "latest"]])
        #expect(refused["error"]?.stringValue == "HelmValuesError", "a digest must be sha256:<64 hex>")
    }

    @Test("every petrel-controller flag is reachable from values.yaml")
    func everyFlagReachable() async throws {
        let full: JSONValue = [
            "replicas": 2,
            "controller": [
                "concurrency": 8, "controllers": ["kustomization"], "logLevel": "debug", "logEncoding": "console",
                "watchLabelSelector": "team=a", "requeueDependency": "10s", "buildTimeout": "1m",
                "noCrossNamespaceRefs": true,
                "noRemoteBases": true, "defaultServiceAccount": "applier", "requireSecretURLBinding": true,
                "kubeAPIQPS": 20, "kubeAPIBurst": 40,
                "gracefulShutdownTimeout": "45s", "watchIdleTimeout": "90s", "extraArgs": ["--some-future-flag=1"],
            ],
            "leaderElection": [
                "id": "petrel-x", "namespace": "leases", "leaseDuration": "30s", "renewDeadline": "20s",
                "retryPeriod": "5s",
            ],
            "kubeconfig": ["secretName": "remote", "key": "config", "context": "prod"],
            "storage": ["path": "/var/petrel", "port": 9999, "advertiseAddress": "petrel.example:9999"],
            "metrics": ["port": 8081], "health": ["port": 9441],
        ]
        let (objects, _) = try await Helm.render(full)
        let (defaults, _) = try await Helm.render()
        let deployment = try #require(objects.object(kind: "Deployment", name: "petrel"))
        let args = deployment.managerArgs
        for expected in [
            "--concurrency=8", "--controllers=kustomization", "--log-level=debug", "--log-encoding=console",
            "--watch-label-selector=team=a", "--requeue-dependency=10s", "--build-timeout=1m",
            "--no-cross-namespace-refs",
            "--no-remote-bases", "--default-service-account=applier", "--require-secret-url-binding",
            "--kube-api-qps=20", "--kube-api-burst=40",
            "--graceful-shutdown-timeout=45s", "--watch-idle-timeout=90s", "--some-future-flag=1", "--leader-elect", "--leader-election-id=petrel-x",
            "--leader-election-namespace=leases", "--lease-duration=30s", "--renew-deadline=20s", "--retry-period=5s",
            "--kubeconfig=/etc/petrel/kubeconfig/config", "--context=prod", "--storage-path=/var/petrel",
            "--storage-addr=:9999", "--storage-adv-addr=petrel.example:9999", "--metrics-addr=:8081",
            "--health-addr=:9441",
        ] {
            #expect(args.contains(expected), "missing \(expected) in \(args)")
        }
        let seen = Set((args + (defaults.object(kind: "Deployment", name: "petrel")?.managerArgs ?? [])).map {
            String($0.split(separator: "=", maxSplits: 1).first ?? "")
        })
        let unreachable = Self.contractFlags.filter { !seen.contains($0) }
        #expect(unreachable.isEmpty, "flags no value set renders: \(unreachable)")
        let container = deployment[path: ["spec", "template", "spec", "containers"]]?.arrayValue?.first
        #expect(container?["livenessProbe"]?[path: ["httpGet", "port"]]?.stringValue == "healthz")
        #expect((container?["ports"]?.arrayValue ?? []).contains { $0["containerPort"]?.integerValue == 9441 })
        let mounts = (container?["volumeMounts"]?.arrayValue ?? []).compactMap { $0["mountPath"]?.stringValue }
        #expect(mounts.contains("/var/petrel"))
        #expect(mounts.contains("/etc/petrel/kubeconfig"))
    }

    @Test("values.schema.json rejects values of the wrong type", arguments: [
        #"{"replicas": "three"}"#, #"{"rbac": {"clusterAdmin": "yes"}}"#, #"{"controller": {"concurrency": 1.5}}"#,
        #"{"storage": {"port": 70000}}"#, #"{"controller": {"requeueDependency": "soon"}}"#, #"{"replica": 2}"#,
    ])
    func schemaRejects(values: String) async throws {
        let parsed = try JSONParser.parse(Array(values.utf8))
        let result = try await Helm.call("render", values: parsed)
        #expect(result["error"]?.stringValue == "HelmValuesError", "\(values) was accepted")
        let lint = try await Helm.call("lint", values: parsed)
        let lintErrors = lint["errors"]?.arrayValue ?? []
        #expect(lintErrors.count > 0, "lint accepted \(values)")
    }

    @Test("the rendered manifests apply with kubectl apply --server-side to a local API server")
    func appliesToLocalAPIServer() async throws {
        let rendered = try await Helm.renderRaw(["replicas": 2])
        let manifest = try #require(rendered["manifest"]?.stringValue)
        try await withLocalCluster { directory, environment in
            let manifests = directory.appendingPathComponent("rendered.yaml")
            try Data(manifest.utf8).write(to: manifests)
            for arguments in [
                ["create", "namespace", "petrel-system"],
                ["apply", "--server-side", "-f", Helm.chart.appendingPathComponent("crds").path],
                ["apply", "--server-side", "-f", manifests.path],
            ] {
                let output = try await Helm.run("/usr/bin/kubectl", arguments, environment: environment)
                try #require(output.status == 0, "kubectl \(arguments.joined(separator: " ")): \(output.stderr)")
            }
            let output = try await Helm.run(
                "/usr/bin/kubectl",
                ["get", "deployment,service,serviceaccount,role,rolebinding", "-n", "petrel-system", "-o", "name"],
                environment: environment)
            #expect(output.status == 0)
            for name in [
                "deployment.apps/petrel", "service/petrel-artifacts", "service/petrel-metrics", "serviceaccount/petrel",
                "role.rbac.authorization.k8s.io/petrel-leader-election",
            ] {
                #expect(output.stdout.contains(name), "\(name) missing from \(output.stdout)")
            }
        }
    }

    @Test("helm install through the SDK into a local API server deploys the release")
    func helmInstall() async throws {
        try await withLocalCluster { directory, environment in
            let created = try await Helm.run(
                "/usr/bin/kubectl", ["create", "namespace", "petrel-system"], environment: environment)
            try #require(created.status == 0, "\(created.stderr)")
            let kubeconfig = directory.appendingPathComponent("kubeconfig").path
            let result = try await Helm.call("install", values: ["replicas": 2], extra: kubeconfig)
            #expect(result["error"] == nil, "\(result)")
            #expect(result["status"]?.stringValue == "deployed")
            let output = try await Helm.run(
                "/usr/bin/kubectl",
                ["get", "crd,deployment,secret,clusterrolebinding", "-A", "-o", "name"], environment: environment)
            #expect(output.stdout.contains("customresourcedefinition.apiextensions.k8s.io/kustomizations.kustomize.petrel.dev"))
            #expect(output.stdout.contains("customresourcedefinition.apiextensions.k8s.io/gitrepositories.source.petrel.dev"))
            #expect(output.stdout.contains("deployment.apps/petrel"))
            #expect(output.stdout.contains("secret/sh.helm.release.v1.petrel.v1"))
            #expect(output.stdout.contains("clusterrolebinding.rbac.authorization.k8s.io/petrel-cluster-admin"))
        }
    }

    /// Runs `body` with a started LocalAPIServer, its kubeconfig in a temporary directory and an environment for
    /// kubectl.
    func withLocalCluster(_ body: @Sendable (URL, [String: String]) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-chart-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var logger = Logger(label: "petrel.chart.tests")
        logger.logLevel = .critical
        try await LocalAPIServer.withRunning(logger: logger) { url in
            let kubeconfig = directory.appendingPathComponent("kubeconfig").path
            try LocalAPIServer.writeKubeconfig(for: url, to: kubeconfig)
            var environment = ProcessInfo.processInfo.environment
            environment["KUBECONFIG"] = kubeconfig
            environment["HOME"] = directory.path
            environment["KUBECACHEDIR"] = directory.appendingPathComponent("cache").path
            try await body(directory, environment)
        }
    }
}
