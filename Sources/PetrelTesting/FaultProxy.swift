import NIOCore
import NIOPosix
import Synchronization

/// A fault a ``FaultProxy`` injects. It applies from the moment it is set, to connections already open and to new
/// ones alike.
package enum ProxyFault: Sendable, Equatable {
    /// Forward everything.
    case none
    /// Close every new connection at once with a reset (as a host with no listener answers). Open connections keep
    /// working: add ``FaultProxy/resetConnections()`` for a server that went away.
    case refuse
    /// Hold every chunk, both ways, this long before forwarding it.
    case delay(Duration)
    /// Forward nothing either way and close nothing, on every connection while the fault lasts: a network that
    /// swallows everything. New connections are accepted and get the same silence. (For connections that went
    /// half-open for good while new ones work, see ``FaultProxy/silenceConnections()``.)
    case halfOpen
    /// Answer every new HTTP request with this status (and `Retry-After` when given) instead of forwarding it, then
    /// close the connection. Requests already forwarded complete normally.
    case httpError(status: Int, retryAfter: Int?)
    /// Forward only the first `afterBytes` bytes of each response (head included); then close the connection, or
    /// with `stall` keep it open and silent.
    case truncateResponses(afterBytes: Int, stall: Bool)
}

/// A TCP proxy on a loopback port that tests put between a client and a server to break the connection on purpose:
/// drop, delay, half-open, reset, and for HTTP/1.1 error answers and truncated responses (``ProxyFault``).
///
/// It also counts the HTTP requests it sees (by method), so a test can measure how hard a client hits a failing
/// server. Requests are recognised by their head; bodies are skipped by `Content-Length`, so it understands what
/// Kubernetes clients send (no chunked request bodies, no pipelining).
///
/// ```swift
/// let proxy = try await FaultProxy.start(upstreamPort: apiServerPort)
/// defer { Task { await proxy.stop() } }
/// // point the client at proxy.port, then:
/// proxy.inject(.httpError(status: 429, retryAfter: 2))
/// proxy.inject(.none)
/// ```
package final class FaultProxy: Sendable {
    /// The port the proxy listens on (127.0.0.1).
    package let port: Int
    private let server: any Channel
    let state: Mutex<ProxyState>

    struct ProxyState {
        var fault: ProxyFault = .none
        var upstreamHost: String
        var upstreamPort: Int
        var connections: [ObjectIdentifier: ProxyConnection] = [:]
        var requests: [String: Int] = [:]
        var accepted = 0
    }

    private init(port: Int, server: any Channel, upstreamHost: String, upstreamPort: Int) {
        self.port = port
        self.server = server
        self.state = Mutex(ProxyState(upstreamHost: upstreamHost, upstreamPort: upstreamPort))
    }

    /// Starts a proxy to `upstreamHost:upstreamPort` on a free loopback port.
    package static func start(upstreamHost: String = "127.0.0.1", upstreamPort: Int) async throws -> FaultProxy {
        let box = ProxyBox()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                guard let proxy = box.proxy else { return channel.close() }
                return proxy.accept(channel)
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let proxy = FaultProxy(
            port: server.localAddress?.port ?? 0, server: server, upstreamHost: upstreamHost, upstreamPort: upstreamPort)
        box.proxy = proxy
        return proxy
    }

    /// The fault now in effect.
    package var fault: ProxyFault { state.withLock { $0.fault } }

    /// Injects `fault` (``ProxyFault/none`` ends it).
    package func inject(_ fault: ProxyFault) {
        state.withLock { $0.fault = fault }
    }

    /// Sends new connections to another port (a server restarted elsewhere). Open connections stay where they are.
    package func setUpstream(port: Int) {
        state.withLock { $0.upstreamPort = port }
    }

    /// HTTP requests seen so far, by method (`GET`, `PUT`...), answered with an injected error or forwarded.
    package var requestCounts: [String: Int] { state.withLock { $0.requests } }

    /// All HTTP requests seen so far.
    package var requestCount: Int { state.withLock { $0.requests.values.reduce(0, +) } }

    /// Connections accepted so far.
    package var acceptedConnections: Int { state.withLock { $0.accepted } }

    /// Connections open now.
    package var openConnections: Int { state.withLock { $0.connections.count } }

    /// Closes every open connection with a reset (RST), both towards the client and the server.
    package func resetConnections() {
        for connection in state.withLock({ Array($0.connections.values) }) { connection.close(reset: true) }
    }

    /// Makes every open connection half-open for good (new connections are not affected): nothing is forwarded
    /// either way and nothing is closed, as when a peer vanishes without FIN or RST behind a NAT that drops the
    /// entry. The client's only way out is a deadline of its own.
    package func silenceConnections() {
        for connection in state.withLock({ Array($0.connections.values) }) { connection.silence() }
    }

    /// Closes every open connection normally (FIN).
    package func dropConnections() {
        for connection in state.withLock({ Array($0.connections.values) }) { connection.close(reset: false) }
    }

    /// Stops listening and resets every open connection.
    package func stop() async {
        try? await server.close()
        resetConnections()
    }

    private func accept(_ client: any Channel) -> EventLoopFuture<Void> {
        let (fault, host, port) = state.withLock { state -> (ProxyFault, String, Int) in
            state.accepted += 1
            return (state.fault, state.upstreamHost, state.upstreamPort)
        }
        if fault == .refuse {
            return Self.reset(client)
        }
        let connection = ProxyConnection(proxy: self, client: client)
        state.withLock { $0.connections[ObjectIdentifier(connection)] = connection }
        let clientHandler = ProxyHandler(connection: connection, direction: .request)
        do {
            try client.pipeline.syncOperations.addHandler(clientHandler)
        } catch {
            return client.eventLoop.makeFailedFuture(error)
        }
        ClientBootstrap(group: client.eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(30))
            .channelInitializer { upstream in
                upstream.eventLoop.makeCompletedFuture {
                    try upstream.pipeline.syncOperations.addHandler(
                        ProxyHandler(connection: connection, direction: .response))
                }
            }
            .connect(host: host, port: port)
            .whenComplete { result in
                switch result {
                case .success(let upstream): connection.connected(upstream)
                case .failure: connection.close(reset: true)
                }
            }
        return client.eventLoop.makeSucceededVoidFuture()
    }

    func forget(_ connection: ProxyConnection) {
        _ = state.withLock { $0.connections.removeValue(forKey: ObjectIdentifier(connection)) }
    }

    func countRequest(method: String) -> ProxyFault {
        state.withLock { state in
            state.requests[method, default: 0] += 1
            return state.fault
        }
    }

    static func reset(_ channel: any Channel) -> EventLoopFuture<Void> {
        let linger = (channel as? any SocketOptionProvider)?.setSoLinger(linger(l_onoff: 1, l_linger: 0))
            ?? channel.eventLoop.makeSucceededVoidFuture()
        return linger.flatMap { channel.close() }.recover { _ in }
    }
}

/// Lets the server's child initializer reach the proxy created after the bind.
private final class ProxyBox: Sendable {
    private let value = Mutex<FaultProxy?>(nil)
    var proxy: FaultProxy? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
