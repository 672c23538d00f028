import AsyncHTTPClient
import KubeCore
import NIOCore
import NIOHTTP1

extension KubeClient {
    /// Starts a watch and returns its events as they arrive.
    ///
    /// Sets `watch=true`; pass ``QueryOptions/resourceVersion`` (from a list), ``QueryOptions/allowWatchBookmarks``
    /// and ``QueryOptions/timeoutSeconds`` (the server closes the stream after it; the sequence then ends).
    /// `ERROR` events (e.g. 410 Gone: relist) are delivered as events, not thrown. The per-request timeout does not
    /// apply; cancel the consuming task to stop the watch.
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
                let seconds = Int64(options.timeoutSeconds ?? 3600) + 60
                response = try await http.execute(request, timeout: .seconds(seconds), logger: logger)
            } catch {
                throw .transport(Self.describe(error))
            }
            let code = Int(response.status.code)
            if (200..<300).contains(code) { return WatchStream(body: response.body) }
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
/// Ends when the server closes the stream; throws ``KubeClientError`` on a transport failure or an unparsable line.
public struct WatchStream: AsyncSequence, Sendable {
    public typealias Element = WatchEvent
    let body: HTTPClientResponse.Body

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(chunks: body.makeAsyncIterator())
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var chunks: HTTPClientResponse.Body.AsyncIterator
        var splitter = LineSplitter()
        var ready: [[UInt8]] = []
        var finished = false

        public mutating func next() async throws -> WatchEvent? {
            while ready.isEmpty {
                if finished { return nil }
                let chunk: ByteBuffer?
                do { chunk = try await chunks.next() } catch {
                    throw KubeClientError.transport("watch stream failed: \(KubeClient.describe(error))")
                }
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
