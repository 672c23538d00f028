import Foundation
import KubeClient
import KubeCore
import LocalAPIServer
import Logging
import Testing

@Suite("Python kubernetes client and KubeClient over HTTPS")
struct TLSClientTests {
    static let pythonScript = #"""
        import sys
        from kubernetes import client, config, watch
        from kubernetes.client.rest import ApiException
        api = client.CoreV1Api(config.new_client_from_config(sys.argv[1]))
        names = [ns.metadata.name for ns in api.list_namespace().items]
        print("NAMESPACES " + ",".join(sorted(names)))
        created = api.create_namespaced_config_map("default", {"metadata": {"name": "py-tls"}, "data": {"k": "1"}})
        api.patch_namespaced_config_map("py-tls", "default", {"data": {"k": "2"}})
        seen = []
        w = watch.Watch()
        for event in w.stream(api.list_namespaced_config_map, "default",
                              resource_version=created.metadata.resource_version, timeout_seconds=5):
            seen.append(event["type"] + ":" + event["object"].data["k"])
            w.stop()
        print("WATCH " + ",".join(seen))
        wrong = client.CoreV1Api(config.new_client_from_config(sys.argv[2]))
        try:
            wrong.list_namespace()
            print("WRONG accepted")
        except ApiException as error:
            print("WRONG %d %s" % (error.status, error.reason))
        cert_client = config.new_client_from_config(sys.argv[3])
        review = client.AuthenticationV1Api(cert_client).create_self_subject_review(
            {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
        print("CERT " + review.status.user_info.username + " " + ",".join(review.status.user_info.groups))
        """#

    @Test(
        "The Python client lists, creates, patches and watches over HTTPS with CA and token, gets 401 for a wrong token, and authenticates with a client certificate",
        .enabled(if: venvPython != nil, "needs the Python venv (PETREL_VENV or .petrel/venv) with `kubernetes`"))
    func pythonOverTLS() async throws {
        let python = try #require(venvPython)
        try await SecureCluster.with { secure in
            let script = secure.cluster.directory.appendingPathComponent("tls.py").path
            try Self.pythonScript.write(toFile: script, atomically: true, encoding: .utf8)
            let wrong = try secure.kubeconfig(named: "wrong", token: "wrong-token")
            let pair = try secure.generated.authority.issueClientCertificate(user: "carol", groups: ["qa"])
            let cert = try secure.kubeconfig(named: "carol", clientCertificate: pair)
            let output = try await secure.cluster.run(python, [script, secure.cluster.kubeconfig, wrong, cert])
            #expect(output.status == 0, "\(output.stderr)")
            #expect(
                output.stdout.contains("NAMESPACES default,kube-node-lease,kube-public,kube-system"), "\(output.stdout)"
            )
            #expect(output.stdout.contains("WATCH MODIFIED:2"), "\(output.stdout)\(output.stderr)")
            #expect(output.stdout.contains("WRONG 401 Unauthorized"), "\(output.stdout)\(output.stderr)")
            #expect(output.stdout.contains("CERT carol qa,system:authenticated"), "\(output.stdout)\(output.stderr)")
        }
    }

    static let configMaps = GroupVersionResource(group: "", version: "v1", resource: "configmaps")
    static let reviews = GroupVersionResource(
        group: "authentication.k8s.io", version: "v1", resource: "selfsubjectreviews")

    static func config(_ secure: SecureCluster, ca: Bool = true, authentication: KubeConfig.Authentication)
        -> KubeConfig
    {
        KubeConfig(
            server: secure.url.absoluteString, tls: KubeConfig.TLS(caPEM: ca ? Array(secure.caPEM.utf8) : nil),
            authentication: authentication, maxRetries: 0)
    }

    @Test("KubeClient creates, reads, watches and discovers over HTTPS with CA data and a bearer token")
    func kubeClientWithToken() async throws {
        try await SecureCluster.with { secure in
            let config = Self.config(secure, authentication: .bearerToken(secure.generated.token))
            try await KubeClient.withClient(config: config, logger: Logger(label: "test")) { client in
                let object: JSONValue = [
                    "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "kc-tls", "namespace": "default"],
                    "data": ["k": "1"],
                ]
                let created = try await client.create(Self.configMaps, object)
                let resourceVersion = try #require(created[path: ["metadata", "resourceVersion"]]?.stringValue)
                let read = try await client.get(Self.configMaps, namespace: "default", name: "kc-tls")
                #expect(read[path: ["data", "k"]] == "1")

                var options = QueryOptions()
                options.resourceVersion = resourceVersion
                options.timeoutSeconds = 120  // ends the stream only if the event never comes (a loaded machine may take seconds to apply)
                let stream = try await client.watch(Self.configMaps, namespace: "default", options: options)
                _ = try await client.apply(
                    [
                        "apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": ["name": "kc-tls", "namespace": "default"], "data": ["k": "2"],
                    ], fieldManager: "kubeclient-tls", force: true)
                var iterator = stream.makeAsyncIterator()
                let event = try await iterator.next()
                #expect(event?.type == .modified)
                #expect(event?.object[path: ["data", "k"]] == "2")

                let review = try await client.create(
                    Self.reviews, ["apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"])
                #expect(review[path: ["status", "userInfo", "username"]]?.stringValue == "petrel-admin")
            }
        }
    }

    @Test("KubeClient from the written kubeconfig (certificate-authority-data and token) reaches the server")
    func kubeClientFromKubeconfig() async throws {
        try await SecureCluster.with { secure in
            let text = try String(contentsOfFile: secure.cluster.kubeconfig, encoding: .utf8)
            let config = try KubeConfig.parse(yaml: text)
            #expect(config.tls.caPEM == Array(secure.caPEM.utf8))
            try await KubeClient.withClient(config: config, logger: Logger(label: "test")) { client in
                let version = try await client.rawGet("/version")
                #expect(version["major"] == "1")
                let list = try await client.list(Self.configMaps, namespace: "kube-system")
                #expect(list.items.isEmpty)
            }
        }
    }

    @Test("KubeClient authenticates with a client certificate (CN user, O groups) over HTTPS")
    func kubeClientWithClientCertificate() async throws {
        try await SecureCluster.with { secure in
            let pair = try secure.generated.authority.issueClientCertificate(user: "bob", groups: ["ops"])
            var config = Self.config(secure, authentication: .none)
            config.tls.clientCertificatePEM = Array(pair.certificatePEM.utf8)
            config.tls.clientKeyPEM = Array(pair.privateKeyPEM.utf8)
            try await KubeClient.withClient(config: config, logger: Logger(label: "test")) { client in
                let review = try await client.create(
                    Self.reviews, ["apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"])
                #expect(review[path: ["status", "userInfo", "username"]]?.stringValue == "bob")
                #expect(review[path: ["status", "userInfo", "groups"]] == ["ops", "system:authenticated"])
            }
        }
    }

    @Test("Without credentials only /version, /healthz, /readyz and /livez answer; the API gets 401 Unauthorized")
    func anonymous() async throws {
        // (kubectl cannot be used here: with no credentials in its kubeconfig it prompts for a user name.)
        try await SecureCluster.with { secure in
            try await KubeClient.withClient(
                config: Self.config(secure, authentication: .none), logger: Logger(label: "test")
            ) { client in
                let version = try await client.rawGet("/version")
                #expect(version["gitVersion"]?.stringValue?.hasPrefix("v1.") == true)
                for path in ["/healthz", "/readyz", "/livez"] {
                    do {
                        _ = try await client.rawGet(path)
                    } catch let error as KubeClientError {
                        // The body is the text "ok", not JSON: reaching the decoder means the server answered 200.
                        #expect(error.reason == "DecodingError", "\(path): \(error)")
                    }
                }
                do {
                    _ = try await client.list(Self.configMaps, namespace: "default")
                    Issue.record("an anonymous list was accepted")
                } catch let error as KubeClientError {
                    #expect(error.reason == "Unauthorized", "\(error)")
                    #expect(error.status?.message == "Unauthorized")
                }
            }
        }
    }

    @Test("KubeClient verifies the certificate against tls-server-name when the URL's host is not in it")
    func kubeClientServerName() async throws {
        try await SecureCluster.with(hosts: ["apiserver.petrel.test"]) { secure in
            var named = Self.config(secure, authentication: .bearerToken(secure.generated.token))
            named.tls.serverName = "apiserver.petrel.test"
            try await KubeClient.withClient(config: named, logger: Logger(label: "test")) { client in
                let list = try await client.list(Self.configMaps, namespace: "default")
                #expect(list.items.isEmpty)
            }
            // Without the server name, 127.0.0.1 is not in the certificate: the handshake fails.
            let unnamed = Self.config(secure, authentication: .bearerToken(secure.generated.token))
            try await KubeClient.withClient(config: unnamed, logger: Logger(label: "test")) { client in
                do {
                    _ = try await client.list(Self.configMaps, namespace: "default")
                    Issue.record("a certificate without 127.0.0.1 was accepted for https://127.0.0.1")
                } catch let error as KubeClientError {
                    #expect(error.reason == "TransportError", "\(error)")
                }
            }
        }
    }

    @Test(
        "KubeClient gets Unauthorized for a wrong token, a TLS failure without the CA, and in with insecure-skip-tls-verify"
    )
    func kubeClientRefusals() async throws {
        try await SecureCluster.with { secure in
            let wrong = Self.config(secure, authentication: .bearerToken("wrong"))
            try await KubeClient.withClient(config: wrong, logger: Logger(label: "test")) { client in
                do {
                    _ = try await client.list(Self.configMaps, namespace: "default")
                    Issue.record("a wrong token was accepted")
                } catch let error as KubeClientError {
                    #expect(error.reason == "Unauthorized", "\(error)")
                }
            }
            let untrusted = Self.config(secure, ca: false, authentication: .bearerToken(secure.generated.token))
            try await KubeClient.withClient(config: untrusted, logger: Logger(label: "test")) { client in
                do {
                    _ = try await client.list(Self.configMaps, namespace: "default")
                    Issue.record("a server signed by an unknown CA was trusted")
                } catch let error as KubeClientError {
                    #expect(error.reason == "TransportError", "\(error)")
                }
            }
            var insecure = untrusted
            insecure.tls.insecureSkipVerify = true
            try await KubeClient.withClient(config: insecure, logger: Logger(label: "test")) { client in
                let list = try await client.list(Self.configMaps, namespace: "default")
                #expect(list.items.isEmpty)
            }
        }
    }
}
