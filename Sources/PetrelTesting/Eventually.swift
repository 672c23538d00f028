import Foundation

/// Polls `check` until it returns a value, or throws after `timeout` naming `description` and the last state.
///
/// For tests that must wait on an API server or a controller: a deadline instead of fixed sleeps.
/// - Parameters:
///   - description: what is awaited, for the failure message.
///   - timeout: how long to wait; default 60 s (a bound that only fails on a hang, also on a loaded machine).
///   - poll: the pause between checks; default 50 ms.
///   - check: returns nil while the awaited state is not reached; its errors end the wait.
/// - Returns: the first non-nil value of `check`.
package func eventually<T>(
    _ description: String, timeout: Duration = .seconds(60), poll: Duration = .milliseconds(50),
    _ check: () async throws -> T?
) async throws -> T {
    let deadline = ContinuousClock.now + timeout
    while true {
        if let value = try await check() { return value }
        guard ContinuousClock.now < deadline else {
            throw GitServerError(description: "timed out after \(timeout) waiting for \(description)")
        }
        try await Task.sleep(for: poll)
    }
}

extension TestCommand {
    /// ``run(_:_:in:environment:)`` on a thread of its own, so a command that talks to an in-process server
    /// (kubectl, curl) never blocks one of the few threads of Swift's cooperative pool that the server needs.
    @discardableResult
    package static func runDetached(
        _ executable: String, _ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]
    ) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(
                    with: Result { try run(executable, arguments, in: directory, environment: environment) })
            }
            thread.start()
        }
    }
}
