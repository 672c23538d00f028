import Foundation
import Synchronization

/// A deadline and a cancellation flag for long blocking work (archiving a tree), checked as the work goes.
///
/// The work runs on its own thread; the awaiting task calls ``cancel()`` when it is cancelled.
public final class ArchiveBudget: Sendable {
    /// When the work must have finished, or nil for no deadline.
    public let deadline: ContinuousClock.Instant?
    private let timeout: Duration?
    private let cancelled = Atomic<Bool>(false)

    /// A budget that ends `timeout` from now (nil: no deadline).
    public init(timeout: Duration? = nil) {
        self.timeout = timeout
        self.deadline = timeout.map { .now + $0 }
    }

    /// Makes the next ``check(_:)`` throw ``GitSourceError/cancelled``.
    public func cancel() { cancelled.store(true, ordering: .relaxed) }

    /// - Throws: ``GitSourceError/cancelled`` or ``GitSourceError/timeout(operation:seconds:)`` naming `operation`.
    func check(_ operation: @autoclosure () -> String) throws(GitSourceError) {
        if cancelled.load(ordering: .relaxed) { throw .cancelled }
        if let deadline, let timeout, ContinuousClock.now > deadline {
            let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
            throw .timeout(operation: operation(), seconds: seconds)
        }
    }
}
