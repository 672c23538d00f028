import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import KubeCore
import Logging
import NIOCore
import NIOSSL

/// A local Kubernetes-compatible API server: discovery, an in-memory store with one global resourceVersion,
/// CRDs, watches, status subresources, patches, server-side apply and Table output.
///
/// Start it in-process for tests with ``withRunning(host:port:configuration:logger:_:)``, or run it as a
/// long-lived service with ``run(host:port:onListening:)``.
public struct LocalAPIServer: Sendable {
    /// Tunables of a server.
    public struct Configuration: Sendable {
        /// How many recent changes a watch can resume from; older resourceVersions get 410 Gone. Default 10,000;
        /// more history costs memory.
        public var watchHistory: Int
        /// How many undelivered events one watcher may hold before the server closes it. Default 10,000.
        public var watchBufferSize: Int
        /// The largest request body accepted; bigger ones get 413. Default 3 MiB, as the real API server.
        public var maxBodySize: Int
        /// How often watches with `allowWatchBookmarks=true` receive a BOOKMARK. Default 10 seconds.
        public var bookmarkInterval: Duration
        /// Where to keep the objects across restarts (`state.jsonl`, written at most once a second and on
        /// shutdown). Default nil: memory only.
        public var dataDirectory: String?
        /// Serve HTTPS with this certificate (and verify client certificates against its client CA). Default nil:
        /// plain HTTP.
        public var tls: TLSSettings?
        /// Require credentials (bearer tokens, or client certificates when ``tls`` has a client CA). Default nil:
        /// every request acts as the local administrator.
        public var authentication: Authentication?

        public init(
            watchHistory: Int = 10_000, watchBufferSize: Int = 10_000, maxBodySize: Int = 3 * 1024 * 1024,
            bookmarkInterval: Duration = .seconds(10), dataDirectory: String? = nil, tls: TLSSettings? = nil,
            authentication: Authentication? = nil
        ) {
            self.tls = tls
            self.authentication = authentication
            self.dataDirectory = dataDirectory
            self.watchHistory = watchHistory
            self.watchBufferSize = watchBufferSize
            self.maxBodySize = maxBodySize
            self.bookmarkInterval = bookmarkInterval
        }
    }

    let store: ObjectStore
    let handler: APIHandler
    let logger: Logger
    let stateFile: String?
    let tls: TLSSettings?

    /// Creates a server holding the `default`, `kube-system`, `kube-public` and `kube-node-lease` namespaces,
    /// or, with a data directory that has a saved state, the objects and resourceVersion saved there.
    ///
    /// - Throws: ``LocalAPIServerError/dataDirectoryUnreadable(path:underlying:)`` for a corrupt state file.
    public init(configuration: Configuration = Configuration(), logger: Logger = Logger(label: "petrel.apiserver"))
        throws
    {
        store = ObjectStore(historyLimit: configuration.watchHistory, watchBufferSize: configuration.watchBufferSize)
        handler = APIHandler(
            store: store, maxBodySize: configuration.maxBodySize, bookmarkInterval: configuration.bookmarkInterval,
            authenticator: configuration.authentication.map(Authenticator.init))
        tls = configuration.tls
        self.logger = logger
        stateFile = configuration.dataDirectory.map {
            URL(fileURLWithPath: $0).appendingPathComponent("state.jsonl").path
        }
        if let stateFile, let data = FileManager.default.contents(atPath: stateFile) {
            try store.restore(Array(data), path: stateFile)
            return
        }
        for namespace in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            _ = try? store.create(
                .namespaceType, namespace: nil,
                body: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(namespace)]], dryRun: false
            )
        }
    }

    /// Serves until the task is cancelled.
    ///
    /// - Parameters:
    ///   - host: the address to bind, e.g. `127.0.0.1`.
    ///   - port: the port; 0 picks a free one.
    ///   - onListening: called once with the base URL (`http://host:port`, or `https://` with TLS) when the
    ///     server accepts connections.
    /// - Throws: ``LocalAPIServerError/tlsSetupFailed(_:)`` for unusable TLS settings, or the server's error.
    public func run(host: String, port: Int, onListening: @escaping @Sendable (URL) async -> Void = { _ in })
        async throws
    {
        let handler = self.handler
        let store = self.store
        let stateFile = self.stateFile
        let logger = self.logger
        let maxBody = handler.maxBodySize
        let readsClientCertificates = tls?.clientCAPEM != nil && handler.authenticator != nil
        let responder = CallbackResponder<ServerRequestContext> { request, context in
            var request = request
            let buffer: ByteBuffer
            do {
                buffer = try await request.collectBody(upTo: maxBody)
            } catch {
                return Self.response(
                    .error(
                        APIError(
                            code: 413, reason: "RequestEntityTooLarge",
                            message: "the request body is too large: limit is \(maxBody) bytes")),
                    handler: handler)
            }
            var apiRequest = APIRequest(
                method: request.method.rawValue, path: request.uri.path,
                query: APIRequest.parseQuery(request.uri.query),
                accept: request.headers[.accept] ?? "", contentType: request.headers[.contentType] ?? "",
                userAgent: request.headers[.userAgent] ?? "", body: Array(buffer.readableBytesView),
                credentials: RequestCredentials(
                    authorization: request.headers[.authorization],
                    impersonateUser: request.headers[.impersonateUser],
                    impersonateGroups: request.headers[values: .impersonateGroup]))
            if readsClientCertificates {
                apiRequest.clientCertificate = await Self.clientCertificate(of: context.channel)
            }
            return Self.response(handler.handle(apiRequest), handler: handler)
        }
        let server: HTTPServerBuilder
        if let tls {
            let configuration = try tls.serverConfiguration()
            do {
                server = try .tls(.http1(), tlsConfiguration: configuration)
            } catch {
                throw LocalAPIServerError.tlsSetupFailed("cannot create the TLS context: \(error)")
            }
        } else {
            server = .http1()
        }
        let scheme = tls == nil ? "http" : "https"
        let app = Application(
            responder: responder,
            server: server,
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                if let url = URL(string: "\(scheme)://\(host):\(bound)") { await onListening(url) }
            },
            logger: logger)
        try await withTaskCancellationHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await app.run() }
                if let stateFile {
                    group.addTask { await Self.persist(store, to: stateFile, logger: logger) }
                }
                try await group.next()
                group.cancelAll()
            }
        } onCancel: {
            store.close()
        }
    }

    /// Starts a server, runs `body` with its base URL, then stops the server.
    ///
    /// - Parameters:
    ///   - host: the address to bind; default `127.0.0.1`.
    ///   - port: the port; default 0 (a free port).
    ///   - configuration: tunables; see ``Configuration``.
    ///   - logger: where the server logs.
    ///   - body: what to run while the server listens.
    /// - Returns: what `body` returns.
    /// - Throws: what `body` throws, or ``LocalAPIServerError/notListening`` when the server did not start.
    public static func withRunning<T: Sendable>(
        host: String = "127.0.0.1", port: Int = 0, configuration: Configuration = Configuration(),
        logger: Logger = Logger(label: "petrel.apiserver"), _ body: @Sendable (URL) async throws -> T
    ) async throws -> T {
        let server = try LocalAPIServer(configuration: configuration, logger: logger)
        let (urls, continuation) = AsyncStream<URL>.makeStream(bufferingPolicy: .bufferingNewest(1))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { continuation.finish() }
                try await server.run(host: host, port: port) { url in continuation.yield(url) }
            }
            var iterator = urls.makeAsyncIterator()
            guard let url = await iterator.next() else {
                group.cancelAll()
                throw LocalAPIServerError.notListening
            }
            do {
                let result = try await body(url)
                server.store.close()
                group.cancelAll()
                return result
            } catch {
                server.store.close()
                group.cancelAll()
                throw error
            }
        }
    }

    /// Saves the store to `path` whenever it changed (checked once a second) and once more when cancelled.
    private static func persist(_ store: ObjectStore, to path: String, logger: Logger) async {
        var saved: Int64 = -1
        func save() {
            guard store.currentResourceVersion != saved else { return }
            let (resourceVersion, bytes) = store.snapshot()
            do {
                try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
                saved = resourceVersion
            } catch {
                logger.error("failed to save the API server state", metadata: ["path": "\(path)", "error": "\(error)"])
            }
        }
        while !Task.isCancelled {
            save()
            try? await Task.sleep(for: .seconds(1))
        }
        save()
    }

    private static func response(_ response: APIResponse, handler: APIHandler) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        switch response {
        case .json(let status, let body):
            return Response(
                status: HTTPResponse.Status(code: status), headers: headers,
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        case .typed(let status, let contentType, let body):
            headers[.contentType] = contentType
            headers[.vary] = "Accept"
            return Response(
                status: HTTPResponse.Status(code: status), headers: headers,
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        case .watch(let watch):
            headers[.transferEncoding] = "chunked"
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody { writer in
                    try await WatchWriter.write(
                        watch, store: handler.store, bookmarkInterval: handler.bookmarkInterval, to: &writer)
                })
        }
    }
}

/// The request context: Hummingbird's core storage plus the connection, for reading the TLS client certificate.
struct ServerRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        channel = source.channel
    }
}

extension LocalAPIServer {
    /// The subject of the client certificate verified on `channel`'s TLS handshake, if the client sent one.
    static func clientCertificate(of channel: any Channel) async -> CertificateIdentity? {
        guard let certificate = try? await channel.nioSSL_peerCertificate().get(),
            let der = try? certificate.toDERBytes()
        else { return nil }
        return CertificateIdentity(derBytes: der)
    }
}

extension HTTPFields.Element.Name {
    static let impersonateUser = Self("Impersonate-User")!
    static let impersonateGroup = Self("Impersonate-Group")!
}
