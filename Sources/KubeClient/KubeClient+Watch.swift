import AsyncHTTPClient
import KubeCore
import NIOCore
import NIOHTTP1

extension KubeClient {
    /// Starts a watch and returns its events as they arrive.
    ///
    /// Sets `watch=true`; pass ``QueryOptions/resourceVersion`` (from a list), ``QueryOptions/allowWatchBookmarks``
    /// and ``QueryOptions/timeoutSeconds`` (the server closes the stream after it; the sequence then ends).
    /// `ERROR` events (e.g. 410 Gone: relist) are delivered as events, not thrown. The per-request timeout bounds
    /// the wait for the response head only; cancel the consuming task to stop the watch. A watch silent for ``KubeConfig/watchIdleTimeout`` is
    /// closed and its sequence throws ``KubeClientError/timeout(_:)``: resume it from the last resourceVersion.
    public func watch(
        _ resource: GroupVersionResource, namespace: String? = nil, options: QueryOptions = QueryOptions()
    ) async throws(KubeClientError) -> WatchStream {
        var options = options
        options.watch = true
        let path = ResourcePath(resource: resource, namespace: namespace).path
        var refreshed = false
        while true {
            let request = try await makeRequest(.GET, path, options: options, body: nil, contentType: "application/json")
            let response: HTTPClientResponse
            do {
                // The server answers a watch's head at once; the per-request timeout bounds the wait for it (a
                // connection that went silent before the head must not hold the watch for timeoutSeconds).
                response = try await http.execute(request, timeout: TimeAmount(kubeDuration: config.timeout), logger: logger)
            } catch {
                throw .transport(Self.describe(error))
            }
            let code = Int(response.status.code)
            if (200..<300).contains(code) { return WatchStream(body: response.body, idleTimeout: config.watchIdleTimeout) }
            let body: [UInt8]
            do { body = Array(buffer: try await response.body.collect(upTo: 1 << 20)) } catch { body = [] }
            if code == 401, !refreshed, await credentials.invalidate() {
                refreshed = true
                continue
            }
            let retryAfter = response.headers.first(name: "Retry-After").flatMap { Int($0) }
            throw Self.error(code: code, body: body, retryAfter: retryAfter)
        }
    }
}

/// The events of one watch request, parsed from the newline-delimited JSON stream whatever the chunking.
///
/// Ends when the server closes the stream; throws ``KubeClientError`` on a transport failure, an unparsable line,
/// or when nothing arrives for `idleTimeout` (``KubeClientError/timeout(_:)``; the connection is then closed).
public struct WatchStream: AsyncSequence, Sendable {
    public typealias Element = WatchEvent
    let body: HTTPClientResponse.Body
    let idleTimeout: Duration

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(chunks: ChunkReader(body.makeAsyncIterator()), idleTimeout: idleTimeout)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let chunks: ChunkReader
        let idleTimeout: Duration
        var splitter = LineSplitter()
        var ready: [[UInt8]] = []
        var finished = false

        public mutating func next() async throws -> WatchEvent? {
            while ready.isEmpty {
                if finished { return nil }
                let chunk = try await chunks.next(within: idleTimeout)
                do {
                    if let chunk {
                        ready += try splitter.append(chunk.readableBytesView)
                    } else {
                        finished = true
                        if let last = splitter.finish() { ready.append(last) }
                    }
                } catch {
                    throw KubeClientError.decoding("watch event longer than \(error.limit) bytes")
                }
            }
            let line = ready.removeFirst()
            do { return try WatchEvent(line: line) } catch {
                throw KubeClientError.decoding(error.message)
            }
        }
    }
}

/// Reads the chunks of a response body, each within a deadline.
///
/// The body's iterator is used by one task at a time: the child task of ``next(within:)``, which the caller awaits
/// before it calls again (hence `@unchecked Sendable`).
final class ChunkReader: @unchecked Sendable {
    private var iterator: HTTPClientResponse.Body.AsyncIterator

    init(_ iterator: HTTPClientResponse.Body.AsyncIterator) {
        self.iterator = iterator
    }

    /// The next chunk, `nil` at the end of the body. Waiting longer than `deadline` cancels the read, which closes
    /// the connection, and throws ``KubeClientError/timeout(_:)``.
    func next(within deadline: Duration) async throws(KubeClientError) -> ByteBuffer? {
        do {
            return try await withRequestTimeout(deadline) { try await self.read() }
        } catch is RequestTimedOut {
            throw .timeout(
                Status(
                    reason: "Timeout",
                    message: "the watch received nothing for \(deadline) (no event, no bookmark): the connection is "
                        + "treated as dead and closed",
                    code: 504))
        } catch let error as KubeClientError {
            throw error
        } catch {
            throw .transport("watch stream failed: \(KubeClient.describe(error))")
        }
    }

    private func read() async throws -> ByteBuffer? {
        do { return try await iterator.next() } catch {
            throw KubeClientError.transport("watch stream failed: \(KubeClient.describe(error))")
        }
    }
}
