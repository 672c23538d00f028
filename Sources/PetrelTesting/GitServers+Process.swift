import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A failure of a test-server helper, with what was run and its output.
package struct GitServerError: Error, CustomStringConvertible {
    package var description: String
}

/// A long-running child process owned by a test helper; ``stop()`` terminates it and waits.
package final class ManagedProcess: @unchecked Sendable {
    let process: Process
    package let name: String
    package let logFile: URL

    /// Starts `executable` with its output appended to `logFile`.
    package init(name: String, executable: String, arguments: [String], logFile: URL, environment: [String: String]? = nil) throws {
        self.name = name
        self.logFile = logFile
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let handle = try FileHandle(forWritingTo: logFile)
        process = Process()
        // Foundation's Process learns that a child exited when a socket the child inherited closes, then calls a
        // blocking waitpid. Daemons that close every inherited descriptor (sshd does) would block Foundation's
        // process monitor forever — and with it every later Process. A shell that keeps the descriptor and waits
        // for the server avoids that; on SIGTERM it passes the signal on and waits for the server to exit.
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [
            "-c",
            "\"$@\" & child=$!; trap 'kill -TERM $child 2>/dev/null; wait $child; exit 0' TERM INT; wait $child",
            "petrel-\(name)", executable,
        ] + arguments
        if let environment { process.environment = environment }
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// The process log so far (for failure messages).
    package var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// Stops the server: SIGTERM through its shell, up to 0.5 s to exit, then SIGKILL for everything left of the
    /// process tree (fcgiwrap's workers ignore SIGTERM). Never waits unbounded.
    ///
    /// It blocks its thread while it waits, and it is called from `defer` in async code, so the wait stays short:
    /// a longer grace period held cooperative threads for seconds and starved every other test in the process.
    package func stop() {
        guard process.isRunning else { return }
        // The tree is collected before anything dies: afterwards orphans belong to init.
        let tree = Self.descendants(of: process.processIdentifier)
        process.terminate()
        let deadline = Date().addingTimeInterval(0.5)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        for pid in tree { kill(pid, SIGKILL) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            let killDeadline = Date().addingTimeInterval(2)
            while process.isRunning, Date() < killDeadline { usleep(20_000) }
        }
    }

    /// Every descendant of `pid`, children before grandchildren.
    static func descendants(of pid: pid_t) -> [pid_t] {
        var found: [pid_t] = []
        var frontier = [pid]
        while let next = frontier.popLast() {
            let children = ((try? TestCommand.run("/usr/bin/pgrep", ["-P", "\(next)"])) ?? "")
                .split(separator: "\n").compactMap { pid_t($0.trimmingCharacters(in: .whitespaces)) }
            found += children
            frontier += children
        }
        return found
    }
}

/// Process and network helpers for the git test servers.
package enum TestCommand {
    /// Runs a command to completion; throws with its output when it exits non-zero.
    @discardableResult
    package static func run(
        _ executable: String, _ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]
    ) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        // Output goes to a file, not a pipe: a command that leaves a daemon behind (apache2 -k start, git's
        // detached gc) would keep a pipe's write end open and a read-to-end would never return.
        let outputURL = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-cmd-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outputURL) }
        let output = try FileHandle(forWritingTo: outputURL)
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try? output.close()
        let text = (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            throw GitServerError(
                description: "\(executable) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(text)")
        }
        return text
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago.
    ///
    /// The kernel may hand the same free port to two calls in a row (each socket is closed before the port is used),
    /// so a port already returned in this process is never returned again: several ports picked for one server
    /// stay distinct.
    package static func freePort() throws -> Int {
        for _ in 0..<64 {
            let port = try anyFreePort()
            if handedOut.withLock({ $0.insert(port).inserted }) { return port }
        }
        throw GitServerError(description: "no free port that was not handed out before")
    }

    private static let handedOut = Mutex<Set<Int>>([])

    private static func anyFreePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw GitServerError(description: "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw GitServerError(description: "bind() to a free port failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    package static func isListening(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// Waits until every port listens, or throws after 60 s naming the process log (the whole suite runs in
    /// parallel on two cores, where a server can take many seconds to start).
    package static func waitForPorts(_ ports: [Int], of process: ManagedProcess) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if ports.allSatisfy(isListening) { return }
            guard process.process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.stop()
        throw GitServerError(description: "\(process.name) did not listen on \(ports): \(process.log)")
    }

    /// Creates a fresh temporary directory (mode 0755 so server workers can traverse it).
    package static func temporaryDirectory(_ prefix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        return url
    }
}

/// Runs `body` with a new temporary directory that is removed afterwards.
package func withTemporaryDirectory<T>(_ prefix: String = "petrel-test", _ body: (URL) async throws -> T) async throws -> T {
    let url = try TestCommand.temporaryDirectory(prefix)
    defer { try? FileManager.default.removeItem(at: url) }
    return try await body(url)
}
