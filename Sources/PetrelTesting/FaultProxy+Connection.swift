import Foundation
import NIOCore
import Synchronization

/// One proxied connection: the client's channel, the upstream channel once connected, and what the fault in
/// effect does to the bytes between them.
final class ProxyConnection: Sendable {
    private struct State {
        var upstream: (any Channel)?
        /// Bytes for the server that arrived before the upstream connection was up.
        var pending: [ByteBuffer] = []
        var scanner = HTTPRequestScanner()
        /// A request is being answered with an injected error once its body has arrived.
        var rejecting: (status: Int, retryAfter: Int?)?
        /// Bytes of the current response forwarded so far.
        var responseBytes = 0
        /// Earliest time each direction may forward its next delayed chunk (keeps chunks in order).
        var notBefore: [ProxyHandler.Direction: NIODeadline] = [:]
        var closed = false
        /// Silenced by ``FaultProxy/silenceConnections()``: forwards nothing, ever.
        var silenced = false
    }

    /// Strong: the proxy forgets the connection when it closes, which breaks the cycle.
    private let proxy: FaultProxy
    private let client: any Channel
    private let state = Mutex(State())

    init(proxy: FaultProxy, client: any Channel) {
        self.proxy = proxy
        self.client = client
    }

    func connected(_ upstream: any Channel) {
        let (pending, closed) = state.withLock { state -> ([ByteBuffer], Bool) in
            state.upstream = upstream
            defer { state.pending = [] }
            return (state.pending, state.closed)
        }
        if closed {
            upstream.close(promise: nil)
            return
        }
        for buffer in pending { upstream.write(buffer, promise: nil) }
        upstream.flush()
    }

    /// Bytes from the client: count requests, answer injected errors, forward the rest as the fault allows.
    func fromClient(_ buffer: ByteBuffer) {
        let events = state.withLock { $0.scanner.feed(buffer) }
        for event in events {
            switch event {
            case .head(let method, let bytes):
                let fault = proxy.countRequest(method: method)
                state.withLock { $0.responseBytes = 0 }
                if case .httpError(let status, let retryAfter) = fault {
                    state.withLock { $0.rejecting = (status, retryAfter) }
                    continue
                }
                forward(bytes, .request)
            case .body(let bytes):
                if state.withLock({ $0.rejecting == nil }) { forward(bytes, .request) }
            case .end:
                if let (status, retryAfter) = state.withLock({ $0.rejecting }) {
                    answer(status: status, retryAfter: retryAfter)
                    return
                }
            }
        }
    }

    /// Bytes from the server: forwarded as the fault allows (truncated responses are cut here).
    func fromServer(_ buffer: ByteBuffer) {
        var buffer = buffer
        if case .truncateResponses(let limit, let stall) = proxy.fault {
            let allowed = state.withLock { state -> Int in
                let allowed = max(0, min(buffer.readableBytes, limit - state.responseBytes))
                state.responseBytes += allowed
                return allowed
            }
            if allowed < buffer.readableBytes {
                if allowed > 0, let prefix = buffer.readSlice(length: allowed) { forward(prefix, .response) }
                // Stalled: silent from now on, also when the server closes its side.
                if stall { silence() } else { close(reset: false) }
                return
            }
        } else {
            state.withLock { $0.responseBytes += buffer.readableBytes }
        }
        forward(buffer, .response)
    }

    /// Makes this connection half-open for good: nothing forwarded, nothing closed.
    func silence() {
        state.withLock { $0.silenced = true }
    }

    /// Writes `buffer` towards its destination now, later (delay) or never (half-open).
    private func forward(_ buffer: ByteBuffer, _ direction: ProxyHandler.Direction) {
        if state.withLock({ $0.silenced }) { return }
        switch proxy.fault {
        case .halfOpen:
            return
        case .delay(let delay):
            let nanoseconds = delay.components.seconds * 1_000_000_000 + delay.components.attoseconds / 1_000_000_000
            let deadline = state.withLock { state -> NIODeadline in
                let deadline = max(.now() + .nanoseconds(nanoseconds), state.notBefore[direction] ?? .distantPast)
                state.notBefore[direction] = deadline
                return deadline
            }
            client.eventLoop.scheduleTask(deadline: deadline) { self.write(buffer, direction) }
        default:
            write(buffer, direction)
        }
    }

    private func write(_ buffer: ByteBuffer, _ direction: ProxyHandler.Direction) {
        switch direction {
        case .response:
            client.writeAndFlush(buffer, promise: nil)
        case .request:
            let upstream = state.withLock { state -> (any Channel)? in
                if state.upstream == nil { state.pending.append(buffer) }
                return state.upstream
            }
            upstream?.writeAndFlush(buffer, promise: nil)
        }
    }

    /// Answers the client with an injected error and closes the connection.
    private func answer(status: Int, retryAfter: Int?) {
        let reason = switch status {
        case 429: "TooManyRequests"
        case 500: "InternalError"
        case 503: "ServiceUnavailable"
        case 504: "Timeout"
        default: "InternalError"
        }
        let body =
            #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"injected by the fault proxy","#
            + #""reason":"\#(reason)","code":\#(status)}"#
        var head = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: application/json\r\n"
        if let retryAfter { head += "Retry-After: \(retryAfter)\r\n" }
        head += "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
        client.writeAndFlush(ByteBuffer(string: head + body)).whenComplete { _ in self.close(reset: false) }
    }

    /// Closes both sides (reset: with RST).
    func close(reset: Bool) {
        let upstream = state.withLock { state -> (any Channel)? in
            state.closed = true
            return state.upstream
        }
        proxy.forget(self)
        for channel in [client] + (upstream.map { [$0] } ?? []) {
            if reset { _ = FaultProxy.reset(channel) } else { channel.close(promise: nil) }
        }
    }

    /// One side closed: close the other once everything already forwarded to it has been written (a server that
    /// sends a whole response and closes must not lose its tail), unless the connection is half-open (then nobody
    /// learns). `direction` is the way the closed side was sending.
    func ended(_ direction: ProxyHandler.Direction) {
        if proxy.fault == .halfOpen || state.withLock({ $0.silenced }) { return }
        let closeAfterWrites = { [self] in
            let target: (any Channel)? = direction == .response ? client : state.withLock { $0.upstream }
            guard let target else { return close(reset: false) }
            // Writes complete in order: when this empty one is done, everything before it is on the wire.
            target.writeAndFlush(ByteBuffer()).whenComplete { _ in self.close(reset: false) }
        }
        if case .delay = proxy.fault, let pending = state.withLock({ $0.notBefore[direction] }), pending > .now() {
            client.eventLoop.scheduleTask(deadline: pending) { closeAfterWrites() }
        } else {
            closeAfterWrites()
        }
    }
}

/// Reads one side of a ``ProxyConnection``.
final class ProxyHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    enum Direction: Hashable, Sendable {
        /// Client to server.
        case request
        /// Server to client.
        case response
    }

    private let connection: ProxyConnection
    private let direction: Direction

    init(connection: ProxyConnection, direction: Direction) {
        self.connection = connection
        self.direction = direction
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        switch direction {
        case .request: connection.fromClient(buffer)
        case .response: connection.fromServer(buffer)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.ended(direction)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        connection.close(reset: false)
    }
}

/// Finds the HTTP/1.1 requests in a client's byte stream: each head once complete, then its body by
/// `Content-Length`. Anything it cannot parse is passed through as body bytes.
struct HTTPRequestScanner: Sendable {
    enum Event: Sendable {
        /// A complete request head (its bytes, to forward).
        case head(method: String, bytes: ByteBuffer)
        /// Bytes of the current request's body (or unparsable bytes).
        case body(ByteBuffer)
        /// The current request has been received whole.
        case end
    }

    private var head = ByteBuffer()
    private var bodyRemaining = 0
    private var passthrough = false
    static let maxHead = 64 * 1024

    mutating func feed(_ input: ByteBuffer) -> [Event] {
        var input = input
        var events: [Event] = []
        while input.readableBytes > 0 {
            if passthrough {
                events.append(.body(input))
                break
            }
            if bodyRemaining > 0 {
                let length = min(bodyRemaining, input.readableBytes)
                if let slice = input.readSlice(length: length) { events.append(.body(slice)) }
                bodyRemaining -= length
                if bodyRemaining == 0 { events.append(.end) }
                continue
            }
            var chunk = input
            head.writeBuffer(&chunk)
            input.moveReaderIndex(forwardBy: input.readableBytes)
            guard let end = Self.headEnd(in: head) else {
                if head.readableBytes > Self.maxHead {
                    passthrough = true
                    events.append(.body(head))
                    head.clear()
                }
                break
            }
            var complete = head
            guard let headBytes = complete.readSlice(length: end) else { break }
            input = complete  // what followed the head
            head = ByteBuffer()
            let text = String(buffer: headBytes)
            let method = String(text.prefix { $0 != " " })
            events.append(.head(method: method, bytes: headBytes))
            bodyRemaining = Self.contentLength(text)
            if bodyRemaining == 0 { events.append(.end) }
        }
        return events
    }

    /// The length of the head including its blank line, if it is complete.
    private static func headEnd(in buffer: ByteBuffer) -> Int? {
        let bytes = buffer.readableBytesView
        guard bytes.count >= 4 else { return nil }
        var index = bytes.startIndex
        while index <= bytes.endIndex - 4 {
            if bytes[index] == 13, bytes[index + 1] == 10, bytes[index + 2] == 13, bytes[index + 3] == 10 {
                return index - bytes.startIndex + 4
            }
            index += 1
        }
        return nil
    }

    private static func contentLength(_ head: String) -> Int {
        for line in head.split(separator: "\r\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "content-length" {
                return max(0, Int(parts[1].trimmingCharacters(in: .whitespaces)) ?? 0)
            }
        }
        return 0
    }
}
