import AsyncHTTPClient
import Foundation
import GitSource
import KubeClient
import Logging
import PetrelAPI

/// Downloads a source artifact, verifies its digest and extracts it into a temporary folder (Flux's
/// `fetch.ArchiveFetcher`: download with retries, digest check before untar).
///
/// ## Guarantees
/// - The archive is never extracted unless its `sha256:` digest matches the one in the source's status.
/// - Only `http` and `https` URLs are fetched, and with ``allowedAddresses`` only from those `host:port`s (the
///   advertised artifact server): `status.artifact.url` is written by whoever may write a GitRepository's status.
/// - Redirects are not followed (the default client refuses them).
/// - The download stops at ``maxDownloadSize`` bytes (checked against `Content-Length` first) and after
///   ``timeout``, which covers the whole attempt, body included: a server that stops sending mid-body cannot hold a
///   reconcile (and every reconcile waiting for the same digest) longer than that.
/// - Without a ``cache``, ``withArtifact(url:digest:_:)`` removes the folder when its body returns or throws; with
///   one, the folder is shared by every reconcile of the same digest and kept while in use (``ArtifactCache``).
package struct ArtifactFetcher: Sendable {
    /// The HTTP client (default: ``ArtifactFetcher/defaultClient``, which follows no redirect).
    package var http: HTTPClient
    /// The `host:port`s artifacts may come from; `nil` (the default) accepts any host over http(s).
    package var allowedAddresses: Set<String>?
    /// The largest archive accepted. Default 256 MiB.
    package var maxDownloadSize: Int
    /// Per-attempt deadline, covering the response head and the whole body. Default 60 s.
    package var timeout: Duration
    /// Attempts for transport errors and 5xx answers. Default 3 (Flux uses 9 with backoff).
    package var attempts: Int
    /// Extraction bounds.
    package var limits: ExtractionLimits
    /// Extracted artifacts shared between reconciles (nil: every call downloads and extracts its own copy).
    package var cache: ArtifactCache?
    private let logger: Logger

    /// A fetcher with the given bounds.
    package init(
        http: HTTPClient = ArtifactFetcher.defaultClient, allowedAddresses: Set<String>? = nil,
        maxDownloadSize: Int = 256 << 20, timeout: Duration = .seconds(60), attempts: Int = 3,
        limits: ExtractionLimits = ExtractionLimits(), cache: ArtifactCache? = nil, logger: Logger
    ) {
        self.cache = cache
        self.http = http
        self.allowedAddresses = allowedAddresses
        self.maxDownloadSize = maxDownloadSize
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.limits = limits
        self.logger = logger
    }

    /// Fetches and extracts the artifact at `url` (or takes it from the ``cache``), runs `body` with the extracted
    /// folder, then removes it (or gives it back to the cache). `body` must not write into the folder.
    ///
    /// - Throws: ``KustomizationError/artifactFailed(_:)`` for download, digest and extraction failures; what
    ///   `body` throws otherwise.
    package func withArtifact<T: Sendable>(
        url: String, digest: String, _ body: (URL) async throws -> T
    ) async throws -> T {
        try Self.validate(digest: digest)
        if let cache {
            let fetcher = self
            let folder = try await cache.acquire(digest: digest) { folder in
                try await fetcher.load(url: url, digest: digest, into: folder)
            }
            do {
                let result = try await body(folder.appendingPathComponent("root"))
                await cache.release(digest: digest)
                return result
            } catch {
                await cache.release(digest: digest)
                throw error
            }
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "petrel-artifact-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        do {
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        } catch {
            throw KustomizationError.artifactFailed("failed to create a temporary folder: \(error)")
        }
        try await load(url: url, digest: digest, into: scratch)
        return try await body(scratch.appendingPathComponent("root"))
    }

    /// Refuses a digest that is not `sha256:<64 lowercase hex>` before it is used for anything (S21).
    ///
    /// - Throws: ``KustomizationError/artifactFailed(_:)`` quoting at most 80 characters of it.
    package static func validate(digest: String) throws(KustomizationError) {
        guard Artifact.isSHA256Digest(digest) else {
            let shown = digest.count > 80 ? digest.prefix(80) + "…" : Substring(digest)
            throw .artifactFailed(
                "invalid artifact digest '\(shown)': the source's status.artifact.digest must be sha256:<64 lowercase hex>")
        }
    }

    /// Downloads and verifies the artifact into `folder/artifact.tar.gz`, extracts it into `folder/root` and
    /// deletes the archive.
    private func load(url: String, digest: String, into scratch: URL) async throws {
        let archive = scratch.appendingPathComponent("artifact.tar.gz")
        let root = scratch.appendingPathComponent("root")
        try await fetch(url: url, digest: digest, to: archive)
        let limits = self.limits
        do {
            // Off the cooperative pool: extraction is bounded in bytes and entries, not in time.
            _ = try await BlockingWork.run(name: "petrel-extract") {
                try TarGzExtractor.extract(archive: archive, into: root, limits: limits)
            }
        } catch let error as TarGzExtractionError {
            throw KustomizationError.artifactFailed("failed to extract the artifact from \(url): \(error.message)")
        } catch {
            throw KustomizationError.artifactFailed("failed to extract the artifact from \(url): \(error)")
        }
        try? FileManager.default.removeItem(at: archive)
    }

    /// Downloads `url` to `file` and checks its digest.
    package func fetch(url: String, digest expected: String, to file: URL) async throws(KustomizationError) {
        try Self.validate(digest: expected)
        try check(url)
        var lastError = ""
        for attempt in 1...attempts {
            do {
                let actual = try await withRequestTimeout(timeout) { [self] in try await download(url: url, to: file) }
                guard actual == expected else {
                    throw KustomizationError.artifactFailed(
                        "failed to verify artifact from \(url): computed digest \(actual) does not match \(expected)")
                }
                return
            } catch let error as KustomizationError {
                throw error
            } catch let error as RetryableDownloadError {
                lastError = error.detail
            } catch is RequestTimedOut {
                lastError = "the download did not complete within \(timeout)"
            } catch {
                lastError = "\(error)"
            }
            logger.debug("artifact download failed", metadata: ["attempt": "\(attempt)", "error": "\(lastError)"])
            if attempt < attempts { try? await Task.sleep(for: .milliseconds(250 * attempt)) }
        }
        throw .artifactFailed("failed to download artifact from \(url): \(lastError)")
    }

    private struct RetryableDownloadError: Error { var detail: String }

    /// An HTTP client for artifacts only: no redirects, 10 s to connect, 30 s of silence at most between reads.
    /// It lives as long as the process, as `HTTPClient.shared` does.
    package static let defaultClient: HTTPClient = {
        var configuration = HTTPClient.Configuration(
            timeout: HTTPClient.Configuration.Timeout(connect: .seconds(10), read: .seconds(30)))
        configuration.redirectConfiguration = .disallow
        configuration.httpVersion = .http1Only
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// The `host:port` of an `http(s)` URL with a host (the scheme's default port when none is given), else nil.
    package static func address(of url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else { return nil }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Refuses URLs that are not http(s), or not on an allowed address.
    private func check(_ url: String) throws(KustomizationError) {
        guard let address = Self.address(of: url) else {
            throw .artifactFailed(
                "refusing artifact URL '\(url.prefix(200))': only http:// and https:// URLs with a host are fetched")
        }
        guard let allowedAddresses, !allowedAddresses.contains(address) else { return }
        throw .artifactFailed(
            "refusing artifact URL '\(url.prefix(200))': \(address) is not the artifact server's address "
                + "(\(allowedAddresses.sorted().joined(separator: ", "))); check --storage-adv-addr")
    }

    /// Streams the body into `file`; returns its digest.
    private func download(url: String, to file: URL) async throws -> String {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        let seconds = timeout.components.seconds
        let response = try await http.execute(request, timeout: .seconds(max(1, seconds)), logger: logger)
        switch response.status.code {
        case 200: break
        case 500...599: throw RetryableDownloadError(detail: "the server answered HTTP \(response.status.code)")
        default:
            throw KustomizationError.artifactFailed(
                "failed to download artifact from \(url): HTTP \(response.status.code)")
        }
        if let length = response.headers.first(name: "Content-Length").flatMap(Int.init), length > maxDownloadSize {
            throw KustomizationError.artifactFailed(
                "artifact from \(url) is larger than the \(maxDownloadSize)-byte limit (Content-Length \(length))")
        }
        guard FileManager.default.createFile(atPath: file.path, contents: nil),
            let handle = try? FileHandle(forWritingTo: file)
        else {
            throw KustomizationError.artifactFailed("failed to create '\(file.lastPathComponent)'")
        }
        defer { try? handle.close() }
        var digester = ArtifactDigester()
        var size = 0
        for try await chunk in response.body {
            size += chunk.readableBytes
            guard size <= maxDownloadSize else {
                throw KustomizationError.artifactFailed(
                    "artifact from \(url) is larger than the \(maxDownloadSize)-byte limit")
            }
            chunk.withUnsafeReadableBytes { digester.update($0) }
            try handle.write(contentsOf: Data(chunk.readableBytesView))
        }
        return digester.finalize()
    }
}
