import Foundation

extension LocalAPIServer {
    /// Writes a kubeconfig whose only context points at `url` without credentials.
    ///
    /// - Parameters:
    ///   - url: the server's base URL.
    ///   - path: where to write the file; its directory must exist.
    ///   - namespace: the context's namespace; default `default`.
    /// - Throws: ``LocalAPIServerError/kubeconfigWriteFailed(path:underlying:)``.
    public static func writeKubeconfig(for url: URL, to path: String, namespace: String = "default") throws {
        let text = """
            apiVersion: v1
            kind: Config
            clusters:
            - name: petrel-local
              cluster:
                server: \(url.absoluteString)
            users:
            - name: petrel-local
              user: {}
            contexts:
            - name: petrel-local
              context:
                cluster: petrel-local
                user: petrel-local
                namespace: \(namespace)
            current-context: petrel-local

            """
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw LocalAPIServerError.kubeconfigWriteFailed(path: path, underlying: "\(error)")
        }
    }
}
