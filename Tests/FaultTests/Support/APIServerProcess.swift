import Foundation
import PetrelTesting

/// `petrel-apiserver` as a child process on a fixed loopback port, with its state in a data directory so that a
/// restart keeps the objects (and their resourceVersions), as a real API server backed by etcd does.
final class APIServerProcess: @unchecked Sendable {
    let port: Int
    let dataDirectory: URL
    let directory: URL
    private(set) var current: PetrelProcess?
    private(set) var starts = 0

    var url: String { "http://127.0.0.1:\(port)" }

    init(directory: URL) throws {
        self.directory = directory
        port = try TestCommand.freePort()
        dataDirectory = directory.appendingPathComponent("apiserver-data")
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
    }

    /// Starts the server and waits until it answers. `watchHistory` bounds how far back a watch can resume (a
    /// restart always starts with an empty history); `bookmarkInterval` is in seconds.
    func start(watchHistory: Int = 10_000, bookmarkInterval: Int = 1) async throws {
        starts += 1
        let process = try PetrelProcess(
            "petrel-apiserver", name: "apiserver",
            arguments: [
                "--port", "\(port)", "--data-dir", dataDirectory.path, "--watch-history", "\(watchHistory)",
                "--bookmark-interval", "\(bookmarkInterval)",
            ],
            directory: directory)
        current = process
        let listening = try await eventually("petrel-apiserver start \(starts) to listen on \(port)", timeout: .seconds(60)) {
            () async throws -> Bool? in
            guard process.isRunning else {
                throw FaultTestError( "petrel-apiserver exited at start: \(process.stderr.suffix(2000))")
            }
            return process.stdout.components(separatedBy: "\n").filter { $0.hasPrefix("http://") }.count >= starts
                ? true : nil
        }
        _ = listening
    }

    /// Stops the server with SIGTERM (it saves its state) and waits; returns the exit status.
    @discardableResult
    func stop() async -> Int32? {
        guard let current else { return nil }
        current.terminate()
        return await current.waitForExit(within: .seconds(30))
    }

    /// Stops and starts the server again on the same port and data directory.
    func restart(watchHistory: Int = 10_000, bookmarkInterval: Int = 1) async throws {
        await stop()
        try await start(watchHistory: watchHistory, bookmarkInterval: bookmarkInterval)
    }
}
