import Foundation

/// How a ``Tarpit`` treats a connection it accepted.
package enum TarpitMode: String, Sendable, CaseIterable {
    /// Reads and discards whatever the client sends and never answers.
    case stall
    /// Sends a plausible start of an answer for the protocol, one byte a second, forever.
    case trickle
}

/// A hostile git remote on a loopback port: it accepts TCP (and, with `tls`, completes the TLS handshake), then
/// stalls or trickles.
package struct Tarpit: Sendable {
    package var mode: TarpitMode
    /// The protocol whose answer a trickle starts: `http`, `ssh` or `git`.
    package var flavour: String
    /// Whether connections are wrapped in TLS first.
    package var tls: Bool
    /// The port, once started.
    package var port = 0

    package init(mode: TarpitMode, flavour: String, tls: Bool = false) {
        self.mode = mode
        self.flavour = flavour
        self.tls = tls
    }
}

/// Runs `body` with every tarpit listening (one Python process, a thread per connection, so nothing is shared with
/// the code under test); stopped afterwards. TLS tarpits present `certificate`/`key` (PEM files).
package func withTarpits<T>(
    _ tarpits: [Tarpit], certificate: URL? = nil, key: URL? = nil, in dir: URL, _ body: ([Tarpit]) async throws -> T
) async throws -> T {
    let script = """
        import socket, ssl, sys, threading, time
        context = None
        if sys.argv[1] != "-":
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(sys.argv[1], sys.argv[2])
        starts = {"http": b"HTTP/1.1 200 OK\\r\\nX-Tarpit: ", "ssh": b"SSH-2.0-tarpit", "git": b"00"}
        def serve(connection, mode, flavour, tls):
            try:
                if tls:
                    connection = context.wrap_socket(connection, server_side=True)
                if mode == "stall":
                    while connection.recv(65536):
                        pass
                else:
                    for byte in starts.get(flavour, b"") + b"a" * 1000000:
                        connection.sendall(bytes([byte]))
                        time.sleep(1)
            except Exception:
                pass
            finally:
                connection.close()
        def listen(port, mode, flavour, tls):
            listener = socket.socket()
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", int(port)))
            listener.listen(64)
            while True:
                connection, _ = listener.accept()
                threading.Thread(target=serve, args=(connection, mode, flavour, tls == "1"), daemon=True).start()
        for spec in sys.argv[3:]:
            threading.Thread(target=listen, args=tuple(spec.split(":")), daemon=True).start()
        while True:
            time.sleep(3600)
        """
    let file = dir.appendingPathComponent("tarpit-\(UUID().uuidString.prefix(8)).py")
    try script.write(to: file, atomically: true, encoding: .utf8)
    var started = tarpits
    for index in started.indices { started[index].port = try TestCommand.freePort() }
    let specs = started.map { "\($0.port):\($0.mode.rawValue):\($0.flavour):\($0.tls ? 1 : 0)" }
    let process = try ManagedProcess(
        name: "tarpit", executable: "/usr/bin/python3",
        arguments: [file.path, certificate?.path ?? "-", key?.path ?? "-"] + specs,
        logFile: file.deletingPathExtension().appendingPathExtension("log"))
    defer { process.stop() }
    try await TestCommand.waitForPorts(started.map(\.port), of: process)
    return try await body(started)
}
