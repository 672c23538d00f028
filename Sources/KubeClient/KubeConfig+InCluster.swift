import Foundation
import KubeCore

extension KubeConfig {
    /// The default directory of a pod's service account files.
    public static let serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// The configuration of a pod: `KUBERNETES_SERVICE_HOST`/`KUBERNETES_SERVICE_PORT`, and the service account's
    /// `token` (re-read every minute, since kubelet rotates it), `ca.crt` and `namespace` files.
    public static func inCluster(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        serviceAccountDirectory: String = KubeConfig.serviceAccountDirectory
    ) throws(KubeClientError) -> KubeConfig {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
            let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty
        else {
            throw .configuration("not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set")
        }
        let tokenPath = "\(serviceAccountDirectory)/token"
        guard FileManager.default.isReadableFile(atPath: tokenPath) else {
            throw .configuration("cannot read the service account token at \(tokenPath)")
        }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        var tls = TLS()
        if let ca = FileManager.default.contents(atPath: "\(serviceAccountDirectory)/ca.crt") { tls.caPEM = Array(ca) }
        let namespace = FileManager.default.contents(atPath: "\(serviceAccountDirectory)/namespace")
            .map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
            .flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        return KubeConfig(
            server: "https://\(hostPart):\(port)", namespace: namespace, tls: tls,
            authentication: .tokenFile(path: tokenPath, refreshInterval: .seconds(60)))
    }
}
