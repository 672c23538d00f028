import Foundation
import KubeCore
import LocalAPIServer
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The built `petrel-apiserver` next to the test bundle, or in `.build/debug`.
let apiserverBinary: String? = {
    var candidates: [String] = []
    if let executable = Bundle.main.executableURL {
        candidates.append(executable.deletingLastPathComponent().appendingPathComponent("petrel-apiserver").path)
    }
    if let first = CommandLine.arguments.first {
        candidates.append(
            URL(fileURLWithPath: first).deletingLastPathComponent().appendingPathComponent("petrel-apiserver").path)
    }
    candidates.append(packageRoot.appendingPathComponent(".build/debug/petrel-apiserver").path)
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
}()

@Suite("petrel-apiserver --tls and the token file")
struct TLSExecutableTests {
    @Test("The token file's CSV records become users with their groups")
    func tokenFile() throws {
        let entries = try LocalAPIServer.Authentication.parseTokenFile(
            """
            admin-token,admin,1,"system:masters,ops"
            viewer-token,viewer,2

            quoted-token,"last, first",3,"a"
            """)
        #expect(entries.map(\.token) == ["admin-token", "viewer-token", "quoted-token"])
        #expect(
            entries[0].user == LocalAPIServer.TokenUser(name: "admin", uid: "1", groups: ["system:masters", "ops"]))
        #expect(entries[1].user.groups.isEmpty)
        #expect(entries[2].user.name == "last, first")

        #expect(throws: LocalAPIServerError.self) { try LocalAPIServer.Authentication.parseTokenFile("token,user\n") }
        #expect(throws: LocalAPIServerError.self) {
            try LocalAPIServer.Authentication.parseTokenFile("a,u,1\na,v,2\n")
        }
        #expect(throws: LocalAPIServerError.self) {
            try LocalAPIServer.Authentication.parseTokenFile("a,u,1,\"unterminated\n")
        }
    }

    @Test("Generated tokens are long, random and URL-safe")
    func generatedTokens() {
        let tokens = (0..<20).map { _ in LocalAPIServer.Authentication.generateToken() }
        #expect(Set(tokens).count == 20)
        #expect(
            tokens.allSatisfy { $0.count >= 40 && $0.allSatisfy { $0.isLetter || $0.isNumber || "-_".contains($0) } })
    }

    @Test(
        "petrel-apiserver --tls --token-auth-file prints an https URL and writes an owner-only kubeconfig kubectl uses",
        .enabled(if: apiserverBinary != nil, "needs the built petrel-apiserver (swift build)"))
    func executable() async throws {
        let binary = try #require(apiserverBinary)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "petrel-apiserver-exe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokens = directory.appendingPathComponent("tokens.csv").path
        try "first-token,alice,1,\"system:masters,ops\"\nsecond-token,bob,2\n".write(
            toFile: tokens, atomically: true, encoding: .utf8)
        let placeholder = TestCluster(url: URL(fileURLWithPath: "/"), directory: directory)

        let misuse = try await placeholder.run(binary, ["--token-auth-file", tokens])
        #expect(misuse.status != 0)
        #expect(misuse.stderr.contains("need --tls"), "\(misuse.stderr)")

        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--tls", "--port", "0", "--write-kubeconfig", placeholder.kubeconfig, "--token-auth-file", tokens,
        ]
        let outURL = directory.appendingPathComponent("server.out")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        let handle = try FileHandle(forWritingTo: outURL)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var printed = ""
        // A debug binary starting while the whole suite runs on 2 cores once took more than 10 s to print.
        let listening = try await eventually(seconds: 60) {
            printed = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
            return printed.hasPrefix("https://127.0.0.1:") && printed.hasSuffix("\n")
                && FileManager.default.fileExists(atPath: placeholder.kubeconfig)
        }
        #expect(listening, "server output: \(printed)")
        let attributes = try FileManager.default.attributesOfItem(atPath: placeholder.kubeconfig)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let kubeconfig = try String(contentsOfFile: placeholder.kubeconfig, encoding: .utf8)
        #expect(kubeconfig.contains("server: \(printed.trimmingCharacters(in: .whitespacesAndNewlines))"))
        #expect(kubeconfig.contains("certificate-authority-data: "))
        #expect(kubeconfig.contains("token: first-token"))

        let whoami = try await placeholder.kubectl(["auth", "whoami", "-o", "jsonpath={.status.userInfo.groups}"])
        #expect(whoami.status == 0, "\(whoami.stderr)")
        #expect(whoami.stdout.contains("ops"), "\(whoami.stdout)")
        let created = try await placeholder.kubectl(["create", "configmap", "from-exe", "--from-literal=k=v"])
        #expect(created.status == 0, "\(created.stderr)")
        let read = try await placeholder.kubectl(["get", "configmap", "from-exe", "-o", "jsonpath={.data.k}"])
        #expect(read.stdout == "v", "\(read.stderr)")
    }
}

@Suite("Without --tls nothing changes")
struct PlainHTTPAuthenticationTests {
    @Test("A plain HTTP server ignores Authorization headers and serves everyone as the administrator")
    func plainIgnoresCredentials() async throws {
        try await TestCluster.with { cluster in
            #expect(cluster.url.scheme == "http")
            for header in [nil, "Bearer whatever", "Basic Zm9vOmJhcg=="] {
                var request = URLRequest(url: cluster.url.appendingPathComponent("api/v1/namespaces"))
                if let header { request.setValue(header, forHTTPHeaderField: "Authorization") }
                let (_, response) = try await URLSession.shared.data(for: request)
                #expect((response as? HTTPURLResponse)?.statusCode == 200, "\(header ?? "no header")")
            }
            let (code, review) = try await cluster.http(
                "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                json: ["apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"])
            #expect(code == 201)
            #expect(review[path: ["status", "userInfo", "username"]] == "system:admin")
        }
    }
}
