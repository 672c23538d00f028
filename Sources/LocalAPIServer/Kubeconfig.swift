import Foundation

extension LocalAPIServer {
    /// What a written kubeconfig carries besides the server's URL.
    public struct KubeconfigCredentials: Sendable {
        /// The CA that signed the serving certificate, PEM (`certificate-authority-data`).
        public var certificateAuthorityPEM: String?
        /// A bearer token (`token`).
        public var token: String?
        /// A client certificate and its key, PEM (`client-certificate-data`, `client-key-data`).
        public var clientCertificatePEM: String?
        public var clientKeyPEM: String?

        public init(
            certificateAuthorityPEM: String? = nil, token: String? = nil, clientCertificatePEM: String? = nil,
            clientKeyPEM: String? = nil
        ) {
            self.certificateAuthorityPEM = certificateAuthorityPEM
            self.token = token
            self.clientCertificatePEM = clientCertificatePEM
            self.clientKeyPEM = clientKeyPEM
        }
    }

    /// Writes a kubeconfig whose only context points at `url`, with `credentials` (none by default). A file
    /// with a token or key is readable by its owner only.
    ///
    /// - Parameters:
    ///   - url: the server's base URL.
    ///   - path: where to write the file; its directory must exist.
    ///   - namespace: the context's namespace; default `default`.
    ///   - credentials: CA data, token and client certificate to include.
    /// - Throws: ``LocalAPIServerError/kubeconfigWriteFailed(path:underlying:)``.
    public static func writeKubeconfig(
        for url: URL, to path: String, namespace: String = "default",
        credentials: KubeconfigCredentials = KubeconfigCredentials()
    ) throws {
        func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
        var cluster = "    server: \(url.absoluteString)\n"
        if let ca = credentials.certificateAuthorityPEM {
            cluster += "    certificate-authority-data: \(base64(ca))\n"
        }
        var user = ""
        if let token = credentials.token { user += "    token: \(token)\n" }
        if let certificate = credentials.clientCertificatePEM, let key = credentials.clientKeyPEM {
            user += "    client-certificate-data: \(base64(certificate))\n"
            user += "    client-key-data: \(base64(key))\n"
        }
        let text = """
            apiVersion: v1
            kind: Config
            clusters:
            - name: petrel-local
              cluster:
            \(cluster)users:
            - name: petrel-local
            \(user.isEmpty ? "  user: {}\n" : "  user:\n" + user)contexts:
            - name: petrel-local
              context:
                cluster: petrel-local
                user: petrel-local
                namespace: \(namespace)
            current-context: petrel-local

            """
        let secret = credentials.token != nil || credentials.clientKeyPEM != nil
        do {
            if secret {
                // Create the file owner-only before the token is in it.
                _ = FileManager.default.createFile(
                    atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
                defer { try? handle.close() }
                try handle.truncate(atOffset: 0)
                try handle.write(contentsOf: Data(text.utf8))
            } else {
                try text.write(toFile: path, atomically: true, encoding: .utf8)
            }
        } catch {
            throw LocalAPIServerError.kubeconfigWriteFailed(path: path, underlying: "\(error)")
        }
    }
}
