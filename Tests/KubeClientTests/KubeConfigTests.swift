import Foundation
import KubeCore
import Testing

@testable import KubeClient

@Suite("kubeconfig and in-cluster configuration")
struct KubeConfigTests {
    @Test("merges several kubeconfig files: first definition and first current-context win")
    func merge() throws {
        let directory = try TemporaryDirectory()
        let first = directory.path + "/first"
        let second = directory.path + "/second"
        try """
        apiVersion: v1
        kind: Config
        clusters:
        - name: shared
          cluster:
            server: https://first.example:6443
            insecure-skip-tls-verify: true
        users:
        - name: alice
          user:
            token: alice-token
        contexts:
        - name: one
          context: {cluster: shared, user: alice, namespace: team-a}
        """.write(toFile: first, atomically: true, encoding: .utf8)
        try """
        apiVersion: v1
        kind: Config
        current-context: two
        clusters:
        - name: shared
          cluster: {server: "https://second.example:6443"}
        - name: other
          cluster:
            server: https://other.example
            certificate-authority: ca.pem
        users:
        - name: alice
          user: {token: ignored}
        - name: bob
          user:
            tokenFile: bob-token
        contexts:
        - name: two
          context: {cluster: other, user: bob}
        - name: one
          context: {cluster: other, user: bob}
        """.write(toFile: second, atomically: true, encoding: .utf8)
        try "CA".write(toFile: directory.path + "/ca.pem", atomically: true, encoding: .utf8)
        let environment = ["KUBECONFIG": "\(first):\(directory.path)/absent:\(second)"]

        let current = try KubeConfig.load(environment: environment)
        #expect(current.contextName == "two")
        #expect(current.server == "https://other.example")
        #expect(current.namespace == "default")
        #expect(current.tls.caPEM == Array("CA".utf8))
        guard case .tokenFile(let path, _) = current.authentication else {
            Issue.record("expected a token file, got \(current.authentication)")
            return
        }
        #expect(path == directory.path + "/bob-token")

        let one = try KubeConfig.load(context: "one", environment: environment)
        #expect(one.server == "https://first.example:6443")
        #expect(one.tls.insecureSkipVerify)
        #expect(one.namespace == "team-a")
        guard case .bearerToken(let token) = one.authentication else {
            Issue.record("expected a bearer token")
            return
        }
        #expect(token == "alice-token")
        #expect(!"\(one)".contains("alice-token"))

        #expect(throws: KubeClientError.self) { try KubeConfig.load(context: "nope", environment: environment) }
        #expect(throws: KubeClientError.self) { try KubeConfig.load(environment: ["KUBECONFIG": directory.path + "/absent"]) }
    }

    @Test("reads client certificates from inline data and from files")
    func clientCertificates() throws {
        let directory = try TemporaryDirectory()
        try "KEY".write(toFile: directory.path + "/client.key", atomically: true, encoding: .utf8)
        let config = try KubeConfig.parse(
            yaml: """
                current-context: c
                clusters: [{name: k, cluster: {server: "https://k:1/", certificate-authority-data: \(Data("CA-DATA".utf8).base64EncodedString())}}]
                users: [{name: u, user: {client-certificate-data: \(Data("CERT".utf8).base64EncodedString()), client-key: client.key}}]
                contexts: [{name: c, context: {cluster: k, user: u}}]
                """, directory: directory.path)
        #expect(config.server == "https://k:1")
        #expect(config.tls.caPEM == Array("CA-DATA".utf8))
        #expect(config.tls.clientCertificatePEM == Array("CERT".utf8))
        #expect(config.tls.clientKeyPEM == Array("KEY".utf8))
        #expect(throws: KubeClientError.self) {
            try KubeConfig.parse(yaml: """
                current-context: c
                clusters: [{name: k, cluster: {server: "https://k"}}]
                users: [{name: u, user: {client-certificate-data: Q0VSVA==}}]
                contexts: [{name: c, context: {cluster: k, user: u}}]
                """)
        }
    }

    @Test("runs an exec credential plugin and caches its token until it expires")
    func execPlugin() async throws {
        let directory = try TemporaryDirectory()
        let counter = directory.path + "/runs"
        let script = directory.path + "/plugin.sh"
        try """
        #!/bin/sh
        echo run >> "\(counter)"
        test -n "$KUBERNETES_EXEC_INFO" || exit 3
        printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"tok-%s-%s","expirationTimestamp":"%s"}}' "$1" "$PLUGIN_SUFFIX" "$EXPIRY"
        """.write(toFile: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        let farFuture = "2999-01-01T00:00:00Z"
        let config = try KubeConfig.parse(
            yaml: """
                current-context: c
                clusters: [{name: k, cluster: {server: "https://k"}}]
                users:
                - name: u
                  user:
                    exec:
                      apiVersion: client.authentication.k8s.io/v1
                      command: ./plugin.sh
                      args: [abc]
                      env: [{name: PLUGIN_SUFFIX, value: xyz}, {name: EXPIRY, value: "\(farFuture)"}]
                contexts: [{name: c, context: {cluster: k, user: u}}]
                """, directory: directory.path)
        let provider = CredentialProvider(authentication: config.authentication)
        #expect(try await provider.authorizationHeader() == "Bearer tok-abc-xyz")
        #expect(try await provider.authorizationHeader() == "Bearer tok-abc-xyz")
        #expect(await provider.execRuns == 1)
        #expect(await provider.invalidate())
        _ = try await provider.authorizationHeader()
        #expect(await provider.execRuns == 2)

        // An already expired credential is fetched again on every use.
        guard case .exec(var exec) = config.authentication else {
            Issue.record("expected exec authentication")
            return
        }
        exec.env["EXPIRY"] = "2000-01-01T00:00:00Z"
        let expired = CredentialProvider(authentication: .exec(exec))
        _ = try await expired.authorizationHeader()
        _ = try await expired.authorizationHeader()
        #expect(await expired.execRuns == 2)
        let runs = try String(contentsOfFile: counter, encoding: .utf8).split(separator: "\n").count
        #expect(runs == 4)

        exec.command = directory.path + "/missing.sh"
        await #expect(throws: KubeClientError.self) { try await CredentialProvider(authentication: .exec(exec)).authorizationHeader() }
    }

    @Test("builds the in-cluster configuration from the service account files")
    func inCluster() async throws {
        let directory = try TemporaryDirectory()
        try "token-1\n".write(toFile: directory.path + "/token", atomically: true, encoding: .utf8)
        try "CA".write(toFile: directory.path + "/ca.crt", atomically: true, encoding: .utf8)
        try "petrel-system\n".write(toFile: directory.path + "/namespace", atomically: true, encoding: .utf8)
        let config = try KubeConfig.inCluster(
            environment: ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"],
            serviceAccountDirectory: directory.path)
        #expect(config.server == "https://10.0.0.1:443")
        #expect(config.namespace == "petrel-system")
        #expect(config.tls.caPEM == Array("CA".utf8))
        let provider = CredentialProvider(authentication: config.authentication)
        #expect(try await provider.authorizationHeader() == "Bearer token-1")
        try "token-2\n".write(toFile: directory.path + "/token", atomically: true, encoding: .utf8)
        // Cached within the refresh interval, re-read after it (here forced by a 401-style invalidation).
        #expect(try await provider.authorizationHeader() == "Bearer token-1")
        #expect(await provider.invalidate())
        #expect(try await provider.authorizationHeader() == "Bearer token-2")
        let shortRefresh = CredentialProvider(authentication: .tokenFile(path: directory.path + "/token", refreshInterval: .milliseconds(50)))
        #expect(try await shortRefresh.authorizationHeader() == "Bearer token-2")
        try "token-3\n".write(toFile: directory.path + "/token", atomically: true, encoding: .utf8)
        try await Task.sleep(for: .milliseconds(100))
        #expect(try await shortRefresh.authorizationHeader() == "Bearer token-3")
        #expect(throws: KubeClientError.self) { try KubeConfig.inCluster(environment: [:], serviceAccountDirectory: directory.path) }
    }

    @Test("token bucket allows a burst, then paces at qps")
    func tokenBucket() {
        let start = ContinuousClock.now
        var bucket = TokenBucket(qps: 10, burst: 3, now: start)
        #expect((0..<3).map { _ in bucket.reserve(now: start) } == [.zero, .zero, .zero])
        #expect(bucket.reserve(now: start) == .milliseconds(100))
        #expect(bucket.reserve(now: start) == .milliseconds(200))
        // After a second the bucket is full again (capped at the burst).
        #expect(bucket.reserve(now: start + .seconds(2)) == .zero)
    }

    @Test("a token whose request was cancelled is given back: the next request does not wait for it")
    func tokenBucketRefund() {
        let start = ContinuousClock.now
        var bucket = TokenBucket(qps: 10, burst: 1, now: start)
        #expect(bucket.reserve(now: start) == .zero)
        #expect(bucket.reserve(now: start) == .milliseconds(100))
        #expect(bucket.reserve(now: start) == .milliseconds(200))
        bucket.refund()  // the 200 ms waiter was cancelled
        bucket.refund()  // and the 100 ms one
        #expect(bucket.reserve(now: start) == .milliseconds(100), "only the first request's token is still owed")
        bucket.refund()
        bucket.refund()
        bucket.refund()
        #expect(bucket.reserve(now: start) == .zero, "never more than the burst")
    }
}
