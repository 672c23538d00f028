import Foundation
import PetrelTesting

#if canImport(Glibc)
    import Glibc
#endif

/// A built Petrel executable (`petrel-apiserver`, `petrel-controller`) running as a child process, with its
/// standard output and error in files. Unlike ``ManagedProcess`` it runs the binary itself (no shell in between), so
/// a test can send it SIGTERM or SIGKILL and read how it ended.
final class PetrelProcess: @unchecked Sendable {
    let name: String
    let process: Process
    let stdoutFile: URL
    let stderrFile: URL

    /// The directory holding the built executables: `$PETREL_BINARIES` (`make chaos` with release builds), else
    /// the test bundle's folder (the debug executables sit next to it).
    static var binaries: URL {
        if let folder = ProcessInfo.processInfo.environment["PETREL_BINARIES"], !folder.isEmpty {
            return URL(fileURLWithPath: folder)
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    }

    /// Starts `binary` (a product name) with `arguments`; output goes to `<directory>/<name>.out` and `.err`,
    /// appended, so the files of several starts accumulate.
    init(_ binary: String, name: String, arguments: [String], directory: URL) throws {
        self.name = name
        stdoutFile = directory.appendingPathComponent("\(name).out")
        stderrFile = directory.appendingPathComponent("\(name).err")
        for file in [stdoutFile, stderrFile] where !FileManager.default.fileExists(atPath: file.path) {
            _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        }
        let out = try FileHandle(forWritingTo: stdoutFile)
        let err = try FileHandle(forWritingTo: stderrFile)
        out.seekToEndOfFile()
        err.seekToEndOfFile()
        process = Process()
        process.executableURL = Self.binaries.appendingPathComponent(binary)
        process.arguments = arguments
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var pid: pid_t { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// Everything the process wrote to standard output so far.
    var stdout: String { (try? String(contentsOf: stdoutFile, encoding: .utf8)) ?? "" }
    /// Everything the process wrote to standard error so far (the logs).
    var stderr: String { (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? "" }

    /// Sends SIGTERM.
    func terminate() { kill(pid, SIGTERM) }

    /// Sends SIGKILL.
    func killNow() { kill(pid, SIGKILL) }

    /// Waits up to `limit` for the process to exit; returns its exit status, or nil if it is still running (it is
    /// then killed, so no test leaves a process behind).
    @discardableResult
    func waitForExit(within limit: Duration = .seconds(60)) async -> Int32? {
        let deadline = ContinuousClock.now + limit
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        guard !process.isRunning else {
            killNow()
            return nil
        }
        return process.terminationReason == .exit ? process.terminationStatus : -process.terminationStatus
    }

    /// Stops the process if it still runs: SIGTERM, then SIGKILL after `grace`.
    func stop(grace: Duration = .seconds(10)) async {
        guard process.isRunning else { return }
        terminate()
        _ = await waitForExit(within: grace)
    }
}

/// A fault-test set-up step that failed, with what went wrong.
struct FaultTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
