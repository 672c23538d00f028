import Foundation
import Synchronization

/// Runs blocking, CPU-bound work (archiving, extraction, kustomize builds, substitution) on a thread of its own, so
/// Swift's cooperative pool (one thread per core) stays free for informers, HTTP handlers and lease renewal.
package enum BlockingWork {
    /// The caller stopped waiting: ``run(name:limit:_:)``'s limit passed while the work was still running.
    package struct TimedOut: Error, Equatable {
        package var limit: Duration
    }

    /// Runs `body` on a new thread named `name` and returns its result.
    ///
    /// Without a `limit`, the caller waits for `body` whatever happens to its task (work that must not be left
    /// half-done behind its caller, such as writing an artifact). With one, the caller gets ``TimedOut`` once it
    /// has passed even if `body` is still running, and a cancellation of the calling task returns
    /// `CancellationError` at once: the worker is freed either way. A thread cannot be stopped from outside, so such
    /// a `body` should check the same deadline itself (the kustomize build does) and finish soon after; its late
    /// result is dropped.
    package static func run<T: Sendable>(
        name: String, limit: Duration? = nil, _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        guard let limit else {
            return try await withCheckedThrowingContinuation { continuation in
                start(name) { continuation.resume(with: Result { try body() }) }
            }
        }
        return try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await onThread(name: name, body) }
            group.addTask {
                try await Task.sleep(for: limit)
                throw TimedOut(limit: limit)
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw CancellationError() }
            return first
        }
    }

    /// Runs `body` on a new thread; a cancellation of the calling task resumes the caller at once.
    private static func onThread<T: Sendable>(name: String, _ body: @escaping @Sendable () throws -> T)
        async throws -> T
    {
        let waiter = Waiter<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                guard waiter.wait(with: continuation) else { return }
                start(name) { waiter.finish(with: Result { try body() }) }
            }
        } onCancel: {
            waiter.finish(with: .failure(CancellationError()))
        }
    }

    private static func start(_ name: String, _ work: @escaping @Sendable () -> Void) {
        let thread = Thread {
            // Named from inside: on Linux a name set before `start()` does not reach the thread (`top -H` shows it).
            Thread.current.name = name
            work()
        }
        // The default stack of a secondary thread can be small; YAML and JSON nesting is bounded (256 and 512
        // levels), and this leaves room for it.
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// The continuation of one ``onThread(name:_:)``, resumed exactly once: by the thread's result or by a
    /// cancellation, whichever comes first (a cancellation may come before the continuation exists).
    private final class Waiter<T: Sendable>: Sendable {
        private enum State {
            case idle
            case waiting(CheckedContinuation<T, any Error>)
            case cancelled
            case done
        }

        private let state = Mutex(State.idle)

        /// Stores `continuation`; false (and the continuation resumed with `CancellationError`) when the task was
        /// cancelled before.
        func wait(with continuation: CheckedContinuation<T, any Error>) -> Bool {
            let cancelled = state.withLock { state in
                if case .cancelled = state {
                    state = .done
                    return true
                }
                state = .waiting(continuation)
                return false
            }
            if cancelled { continuation.resume(throwing: CancellationError()) }
            return !cancelled
        }

        func finish(with result: Result<T, any Error>) {
            let continuation = state.withLock { state -> CheckedContinuation<T, any Error>? in
                switch state {
                case .waiting(let continuation):
                    state = .done
                    return continuation
                case .idle:
                    state = .cancelled
                    return nil
                case .cancelled, .done:
                    return nil
                }
            }
            continuation?.resume(with: result)
        }
    }
}
