import ArgumentParser
import Foundation
import LocalAPIServer
import Logging

/// `petrel-apiserver`: runs the local Kubernetes-compatible API server and prints the URL it listens on.
@main
struct PetrelAPIServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "petrel-apiserver", abstract: "Run Petrel's local Kubernetes-compatible API server.")

    @Option(help: "The port to listen on; 0 picks a free port.")
    var port: Int = 0

    @Option(help: "The address to bind.")
    var host: String = "127.0.0.1"

    @Option(help: "Directory where objects are kept across restarts (state.jsonl); default: memory only.")
    var dataDir: String?

    @Option(help: "Write a kubeconfig pointing at the server (with CA data and token under --tls) to this path.")
    var writeKubeconfig: String?

    @Option(help: "How many recent changes a watch can resume from.")
    var watchHistory: Int = 10_000

    @Option(help: "Seconds between the BOOKMARK events sent to watches that ask for them.")
    var bookmarkInterval: Int = 10

    @Flag(
        help: """
            Serve HTTPS and require credentials. Without --tls-cert-file a CA and a serving certificate for \
            127.0.0.1, ::1, localhost and --host are generated, and the CA also verifies client certificates; \
            without --token-auth-file an administrator token (user petrel-admin in system:masters) is generated.
            """)
    var tls = false

    @Option(help: "Serving certificate (PEM, leaf first) instead of a generated one; needs --tls.")
    var tlsCertFile: String?

    @Option(help: "Private key (PEM) of --tls-cert-file; needs --tls.")
    var tlsPrivateKeyFile: String?

    @Option(help: "Accept client certificates signed by this CA (PEM): CN is the user, O the groups; needs --tls.")
    var clientCaFile: String?

    @Option(
        help: """
            Bearer tokens, one CSV line each: token,user,uid,"group1,group2" (kube-apiserver's format); needs --tls. \
            The kubeconfig gets the first token.
            """)
    var tokenAuthFile: String?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard watchHistory > 0 else { throw ValidationError("--watch-history must be positive") }
        guard (1...3600).contains(bookmarkInterval) else {
            throw ValidationError("--bookmark-interval must be between 1 and 3600 seconds")
        }
        if !tls, tlsCertFile != nil || tlsPrivateKeyFile != nil || clientCaFile != nil || tokenAuthFile != nil {
            throw ValidationError(
                "--tls-cert-file, --tls-private-key-file, --client-ca-file and --token-auth-file need --tls")
        }
        if (tlsCertFile == nil) != (tlsPrivateKeyFile == nil) {
            throw ValidationError("--tls-cert-file and --tls-private-key-file go together")
        }
    }

    func run() async throws {
        var logger = Logger(label: "petrel.apiserver")
        logger.logLevel = .warning
        if let dataDir {
            try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        }
        var configuration = LocalAPIServer.Configuration(
            watchHistory: watchHistory, bookmarkInterval: .seconds(bookmarkInterval), dataDirectory: dataDir)
        var credentials = LocalAPIServer.KubeconfigCredentials()
        if tls {
            try secure(&configuration, &credentials)
        }
        let server = try LocalAPIServer(configuration: configuration, logger: logger)
        let kubeconfig = writeKubeconfig
        let (host, port, credentialsToWrite) = (self.host, self.port, credentials)
        // SIGTERM and SIGINT stop the server by cancellation, which saves the state once more (--data-dir).
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await server.run(host: host, port: port) { url in
                    if let kubeconfig {
                        do {
                            try LocalAPIServer.writeKubeconfig(for: url, to: kubeconfig, credentials: credentialsToWrite)
                        } catch {
                            FileHandle.standardError.write(Data("petrel-apiserver: \(error)\n".utf8))
                        }
                    }
                    FileHandle.standardOutput.write(Data((url.absoluteString + "\n").utf8))
                }
            }
            group.addTask { await Self.terminationSignal() }
            try await group.next()
            group.cancelAll()
        }
    }

    /// Returns when the process receives SIGTERM or SIGINT.
    private static func terminationSignal() async {
        let sources = [SIGTERM, SIGINT].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            return DispatchSource.makeSignalSource(signal: number, queue: .global())
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let once = OnceFlag()
            for source in sources {
                source.setEventHandler { if once.take() { continuation.resume() } }
                source.resume()
            }
        }
        for source in sources { source.cancel() }
    }

    /// Fills in TLS and authentication from the flags, generating what they do not name.
    private func secure(
        _ configuration: inout LocalAPIServer.Configuration, _ credentials: inout LocalAPIServer.KubeconfigCredentials
    ) throws {
        let hosts = Array(Set(["127.0.0.1", "::1", "localhost", host])).sorted()
        var settings: LocalAPIServer.TLSSettings
        var generatedToken: (String, LocalAPIServer.TokenUser)?
        if let tlsCertFile, let tlsPrivateKeyFile {
            let chain = try Self.read(tlsCertFile)
            settings = LocalAPIServer.TLSSettings(
                certificateChainPEM: chain, privateKeyPEM: try Self.read(tlsPrivateKeyFile))
            // Clients trust the top of the given chain (the CA, or the certificate itself when self-signed).
            credentials.certificateAuthorityPEM = Self.lastCertificate(in: chain)
            if tokenAuthFile == nil {
                generatedToken = (
                    LocalAPIServer.Authentication.generateToken(),
                    LocalAPIServer.TokenUser(name: "petrel-admin", uid: "petrel-admin", groups: ["system:masters"])
                )
            }
        } else {
            let generated = try LocalAPIServer.GeneratedTLS(hosts: hosts)
            settings = generated.tls
            credentials.certificateAuthorityPEM = generated.authority.certificatePEM
            if tokenAuthFile == nil { generatedToken = (generated.token, generated.user) }
        }
        if let clientCaFile { settings.clientCAPEM = try Self.read(clientCaFile) }
        var tokens: [String: LocalAPIServer.TokenUser] = [:]
        if let tokenAuthFile {
            let entries = try LocalAPIServer.Authentication.parseTokenFile(try Self.read(tokenAuthFile))
            for entry in entries { tokens[entry.token] = entry.user }
            credentials.token = entries.first?.token
        }
        if let (token, user) = generatedToken {
            tokens[token] = user
            credentials.token = token
        }
        configuration.tls = settings
        configuration.authentication = LocalAPIServer.Authentication(tokens: tokens)
    }

    private static func read(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read \(path)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The last PEM certificate block of `chain`.
    private static func lastCertificate(in chain: String) -> String {
        let begin = "-----BEGIN CERTIFICATE-----"
        guard let range = chain.range(of: begin, options: .backwards) else { return chain }
        return String(chain[range.lowerBound...])
    }
}

/// True the first time ``take()`` is called, false after.
private final class OnceFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var taken = false

    func take() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if taken { return false }
        taken = true
        return true
    }
}
