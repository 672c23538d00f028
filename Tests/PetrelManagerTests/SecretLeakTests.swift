import Foundation
import PetrelAPI
import PetrelTesting
import Testing

/// Issue 13, point 3: a known value planted in every place a Secret is read (postBuild `substituteFrom`, a
/// GitRepository's `secretRef`, a kubeconfig token), every reachable failure path driven through the real
/// interfaces (objects on the local API server, repositories served by `git daemon` and nginx, the built
/// `petrel-controller` at debug level, the built `petrel`), then every output grepped for the value.
@Suite("Secrets never leave their Secret", .serialized)
struct SecretLeakTests {
    /// The canary: mixed case (so it is an invalid object name too), long enough to be masked.
    static let canary = "Kanary7Qx" + String(UInt64.random(in: 1...UInt64.max), radix: 36) + "ZzWq"

    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    /// The repository: one folder per failure path, each turning a substituted Secret value into a failure.
    static let files: [String: String?] = [
        // Two keys that become the same after substitution: Yams' error quoted the keys and the whole document.
        "dup/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dup\ndata:\n  ${PW}: a\n  ${PW:=x}: b\n",
        // An unterminated flow sequence after substitution: the parser's error quoted the offending line.
        "flow/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flow\ndata:\n  a: ${FLOW}\n",
        // A control character after substitution: the reader's error quoted the offending line.
        "control/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: control\ndata:\n  a: \"${CONTROL}\"\n",
        // A label value over 63 characters: the API server's validation message echoes it.
        "label/cm.yaml":
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: label\n  labels:\n    token: \"${LONG}\"\ndata:\n  a: b\n",
        // An object name that is not a DNS subdomain: the dry-run's message echoes it (upper-cased too).
        "name/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"${PW^^}\"\ndata:\n  a: b\n",
    ]

    static var secret: String {
        """
        apiVersion: v1
        kind: Secret
        metadata: {name: planted, namespace: team}
        data:
          PW: \(base64(canary))
          FLOW: \(base64("[" + canary))
          CONTROL: \(base64(canary + "\u{7}"))
          LONG: \(base64(String(repeating: canary, count: 4)))
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: basic-auth, namespace: team}
        data: {username: \(base64("alice")), password: \(base64(canary))}
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: bearer-auth, namespace: team}
        data: {bearerToken: \(base64(canary))}
        """
    }

    static func kustomization(_ name: String, reason: String) -> String {
        """
        apiVersion: kustomize.petrel.dev/v1
        kind: Kustomization
        metadata: {name: \(name), namespace: team}
        spec:
          interval: 1h
          prune: true
          path: ./\(name)
          targetNamespace: team
          sourceRef: {kind: GitRepository, name: app}
          postBuild:
            substituteFrom: [{kind: Secret, name: planted}]
        """
    }

    static let failingKustomizations: [(name: String, reason: String)] = [
        ("dup", ConditionReason.buildFailed), ("flow", ConditionReason.buildFailed),
        ("control", ConditionReason.buildFailed), ("label", ConditionReason.reconciliationFailed),
        ("name", ConditionReason.reconciliationFailed),
    ]

    @Test(
        "a planted Secret value reaches no condition, Event, controller log line or CLI output", .timeLimit(.minutes(5))
    )
    func noLeak() async throws {
        try await withTemporaryDirectory("petrel-leak") { tmp in
            let gitRoot = tmp.appendingPathComponent("git")
            let repo = try GitTestRepository(root: gitRoot, name: "app")
            _ = try repo.commit("hostile", files: Self.files)
            try await withGitHTTPServers(root: gitRoot) { http in
                try await withGitDaemon(root: gitRoot) { daemon in
                    try await ControllerCluster.run(crds: try ControllerCluster.crdTexts()) { cluster in
                        try await Self.drive(cluster, repo: repo, gitURL: daemon.url(repo.relativePath), http: http)
                    }
                }
            }
        }
    }

    static func drive(_ cluster: ControllerCluster, repo: GitTestRepository, gitURL: String, http: GitHTTPServers)
        async throws
    {
        try await cluster.apply(secret, name: "secrets")
        var manifests = [
            """
            apiVersion: source.petrel.dev/v1
            kind: GitRepository
            metadata: {name: app, namespace: team}
            spec: {url: "\(gitURL)", interval: 1h, ref: {branch: main}}
            ---
            apiVersion: source.petrel.dev/v1
            kind: GitRepository
            metadata: {name: basic, namespace: team}
            spec: {url: "\(http.basicURL(repo.relativePath))", interval: 1h, ref: {branch: main}, secretRef: {name: basic-auth}}
            ---
            apiVersion: source.petrel.dev/v1
            kind: GitRepository
            metadata: {name: bearer, namespace: team}
            spec: {url: "\(http.bearerURL(repo.relativePath))", interval: 1h, ref: {branch: main}, secretRef: {name: bearer-auth}}
            """
        ]
        manifests += failingKustomizations.map { kustomization($0.name, reason: $0.reason) }
        try await cluster.apply(manifests.joined(separator: "\n---\n"), name: "objects")

        for (name, reason) in failingKustomizations {
            try await cluster.waitForCondition("kustomization", name, "Ready", status: "False", reason: reason)
        }
        for name in ["basic", "bearer"] {
            try await cluster.waitForCondition(
                "gitrepository", name, "Ready", status: "False", reason: ConditionReason.authenticationFailed)
        }

        // The CLI over the same objects: listings, events, local builds and diffs that fail on the planted value.
        var cli: [String] = []
        func petrel(_ arguments: [String]) async throws {
            let binary = try #require(TestEnvironment.controllerBinary).replacingOccurrences(
                of: "petrel-controller", with: "petrel")
            let result = try await TestCommand.output(
                binary, arguments + ["--kubeconfig", cluster.kubeconfig, "-n", "team"], in: cluster.tmp)
            cli.append(
                "$ petrel \(arguments.joined(separator: " ")) → \(result.status)\n\(result.stdout)\(result.stderr)")
        }
        try await petrel(["get", "kustomizations"])
        try await petrel(["get", "sources"])
        try await petrel(["events"])
        for (name, reason) in failingKustomizations {
            let folder = repo.work.appendingPathComponent(name).path
            // A build that succeeds prints the substituted manifests, as `flux build` does: only failures count.
            if reason == ConditionReason.buildFailed {
                try await petrel(["build", "kustomization", name, "--path", folder])
            }
            try await petrel(["diff", "kustomization", name, "--path", folder])
        }
        // A kubeconfig whose token line is broken YAML: the parser's error used to quote the line.
        let broken = cluster.tmp.appendingPathComponent("broken-kubeconfig")
        try "apiVersion: v1\nusers:\n- name: u\n  user:\n    token: \(canary)\u{7}\n".write(
            to: broken, atomically: true, encoding: .utf8)
        let brokenRun = try await TestCommand.output(
            try #require(TestEnvironment.controllerBinary).replacingOccurrences(
                of: "petrel-controller", with: "petrel"),
            ["get", "ks", "--kubeconfig", broken.path], in: cluster.tmp)
        cli.append("$ petrel --kubeconfig broken get ks → \(brokenRun.status)\n\(brokenRun.stdout)\(brokenRun.stderr)")
        #expect(brokenRun.status != 0)

        let objects = try await cluster.kubectlChecked([
            "get", "kustomizations,gitrepositories", "-n", "team", "-o", "yaml",
        ])
        let events = try await cluster.kubectlChecked(["get", "events", "-n", "team", "-o", "yaml"])
        let log = cluster.controller.log
        // The failures did happen and were reported (the grep below would be vacuous otherwise).
        #expect(events.contains("BuildFailed") && events.contains("ReconciliationFailed"), "\(events.prefix(2_000))")
        #expect(events.contains("AuthenticationFailed"), "\(events.prefix(2_000))")
        #expect(log.contains("\"level\":\"debug\"") || log.contains("debug"), "the log is at debug level")
        #expect(cli.joined().contains("dry-run failed"), "\(cli.joined(separator: "\n"))")
        #expect(cli.joined().contains("duplicate key"), "\(cli.joined(separator: "\n"))")

        let forms = [canary, canary.uppercased(), canary.lowercased()]
        for (what, text) in [("conditions", objects), ("events", events), ("controller log", log)]
            + cli.map({ ("CLI", $0) })
        {
            for form in forms {
                #expect(!text.contains(form), "\(what) holds the planted Secret value:\n\(Self.around(form, in: text))")
            }
        }
    }

    /// The lines around the first occurrence of `needle`, for the failure message.
    static func around(_ needle: String, in text: String) -> String {
        guard let range = text.range(of: needle) else { return "" }
        let start = text.index(range.lowerBound, offsetBy: -300, limitedBy: text.startIndex) ?? text.startIndex
        let end = text.index(range.upperBound, offsetBy: 300, limitedBy: text.endIndex) ?? text.endIndex
        return String(text[start..<end])
    }
}
