import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// Serves the artifact storage over plain HTTP, like source-controller's file server on `--storage-addr`.
///
/// ## Guarantees
/// - Only `GET` and `HEAD`; any other method gets 405 with `Allow: GET, HEAD`.
/// - Paths are confined to the storage folder: `.`/`..` components, NUL bytes and symlinks that resolve outside
///   the folder get 404, as do missing files and directories (there is no listing).
/// - `GET /` answers 200 with a short text, so the port can serve as a readiness probe.
/// - Files are streamed in chunks, never loaded whole.
///
/// ## Caveats
/// No authentication, as in Flux: restrict access with a NetworkPolicy.
package struct ArtifactServer: Service {
    let storagePath: String
    let host: String
    let port: Int
    let logger: Logger
    let onServerRunning: @Sendable (Int) async -> Void

    /// Creates a server.
    /// - Parameters:
    ///   - storagePath: the folder to serve (`--storage-path`).
    ///   - host: the address to bind, e.g. `0.0.0.0` or `127.0.0.1`.
    ///   - port: the port (`--storage-addr`); 0 picks a free one, reported through `onServerRunning`.
    ///   - logger: for start-up and failed requests.
    ///   - onServerRunning: called once with the bound port when the server accepts connections.
    package init(
        storagePath: String, host: String, port: Int, logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.storagePath = storagePath
        self.host = host
        self.port = port
        self.logger = logger
        self.onServerRunning = onServerRunning
    }

    /// Serves until the task is cancelled or a graceful shutdown is triggered.
    package func run() async throws {
        try FileManager.default.createDirectory(atPath: storagePath, withIntermediateDirectories: true)
        let resolver = ArtifactPathResolver(storagePath: storagePath)
        let fileIO = FileIO()
        let responder = CallbackResponder<BasicRequestContext> { request, context in
            try await Self.respond(to: request, context: context, resolver: resolver, fileIO: fileIO)
        }
        let port = self.port
        let logger = self.logger
        let onServerRunning = self.onServerRunning
        let app = Application(
            responder: responder,
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                logger.info("artifact server listening", metadata: ["port": "\(bound)"])
                await onServerRunning(bound)
            },
            logger: logger)
        try await app.run()
    }

    static func respond(
        to request: Request, context: BasicRequestContext, resolver: ArtifactPathResolver, fileIO: FileIO
    ) async throws -> Response {
        guard request.method == .get || request.method == .head else {
            return text(.methodNotAllowed, "method not allowed; use GET or HEAD\n", extra: [.allow: "GET, HEAD"])
        }
        let path = request.uri.path
        if path == "/" || path.isEmpty {
            return head(text(.ok, "petrel artifact server\n"), if: request.method == .head)
        }
        guard let file = resolver.resolve(path) else { return text(.notFound, "not found\n") }
        var headers = HTTPFields()
        headers[.contentType] = file.path.hasSuffix(".tar.gz") ? "application/gzip" : "application/octet-stream"
        headers[.contentLength] = "\(file.size)"
        if request.method == .head { return Response(status: .ok, headers: headers) }
        let body = try await fileIO.loadFile(path: file.path, context: context)
        return Response(status: .ok, headers: headers, body: body)
    }

    static func text(_ status: HTTPResponse.Status, _ text: String, extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func head(_ response: Response, if isHead: Bool) -> Response {
        isHead ? response.createHeadResponse() : response
    }
}

/// Maps request paths to regular files inside the storage folder, refusing anything that could escape it.
struct ArtifactPathResolver: Sendable {
    /// The storage folder with symlinks resolved.
    let root: String

    init(storagePath: String) {
        root = Self.realPath(storagePath) ?? URL(fileURLWithPath: storagePath).standardizedFileURL.path
    }

    /// The absolute path and size of the regular file `requestPath` names, or nil (missing, a directory, or
    /// outside the storage folder).
    func resolve(_ requestPath: String) -> (path: String, size: Int)? {
        guard let decoded = requestPath.removingPercentEncoding, !decoded.contains("\0") else { return nil }
        let components = decoded.split(separator: "/", omittingEmptySubsequences: true)
        guard !components.isEmpty, !components.contains(where: { $0 == "." || $0 == ".." }) else { return nil }
        let joined = root + "/" + components.joined(separator: "/")
        guard let real = Self.realPath(joined), real.hasPrefix(root + "/") else { return nil }
        var info = stat()
        guard stat(real, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        return (real, Int(info.st_size))
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
