import Synchronization

/// Reconcile counters and a duration histogram for one controller, kept as data: the manager renders them
/// (Prometheus text) without this module knowing about HTTP. Every series exists from the start at zero.
package final class ControllerMetrics: Sendable {
    /// Upper bounds of the duration buckets, in seconds (controller-runtime's defaults, trimmed).
    package static let bucketBounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

    /// A consistent copy of the counters.
    package struct Snapshot: Sendable, Equatable {
        /// Reconciles by outcome; every outcome is present.
        package var totals: [ReconcileOutcome: Int]
        /// Cumulative counts per bucket bound (same order as ``ControllerMetrics/bucketBounds``).
        package var bucketCounts: [Int]
        package var durationCount: Int
        package var durationSum: Double
    }

    private let state: Mutex<Snapshot>

    package init() {
        state = Mutex(
            Snapshot(
                totals: Dictionary(uniqueKeysWithValues: ReconcileOutcome.allCases.map { ($0, 0) }),
                bucketCounts: Array(repeating: 0, count: Self.bucketBounds.count),
                durationCount: 0, durationSum: 0))
    }

    /// Records one reconcile.
    package func record(_ outcome: ReconcileOutcome, duration: Duration) {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        state.withLock { snapshot in
            snapshot.totals[outcome, default: 0] += 1
            snapshot.durationCount += 1
            snapshot.durationSum += seconds
            for (index, bound) in Self.bucketBounds.enumerated() where seconds <= bound {
                snapshot.bucketCounts[index] += 1
            }
        }
    }

    /// The counters now.
    package var snapshot: Snapshot { state.withLock { $0 } }
}
