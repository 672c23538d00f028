import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What one running build has used of its totals (``KustomizeOptions``: resources, YAML nodes, bytes, time).
///
/// A build runs synchronously on one thread, so the meter is bound to that thread while the build runs: file reads,
/// YAML parsing and selector matching charge the build they run for without a meter parameter on every function
/// of the engine (as a task-local value would in async code). Code outside a build sees no meter and charges
/// nothing.
final class BuildMeter: Sendable {
    private struct Usage {
        var bytes = 0
        var nodes = 0
        var resources = 0
    }

    let options: KustomizeOptions
    private let deadline: ContinuousClock.Instant?
    private let usage = Mutex(Usage())

    init(options: KustomizeOptions, start: ContinuousClock.Instant = .now) {
        self.options = options
        deadline = options.timeLimit.map { start + $0 }
    }

    /// The meter of the build running on this thread, if any.
    static var current: BuildMeter? {
        guard let pointer = pthread_getspecific(threadKey) else { return nil }
        return Unmanaged<BuildMeter>.fromOpaque(pointer).takeUnretainedValue()
    }

    /// Runs `body` with this meter bound to the current thread.
    func bind<T>(_ body: () throws(KustomizeError) -> T) throws(KustomizeError) -> T {
        let previous = pthread_getspecific(Self.threadKey)
        pthread_setspecific(Self.threadKey, Unmanaged.passUnretained(self).toOpaque())
        defer { pthread_setspecific(Self.threadKey, previous) }
        return try body()
    }

    private static let threadKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Whether the time limit has passed (for code that cannot throw: it gives up early and the next check throws).
    var isOverTime: Bool {
        guard let deadline else { return false }
        return ContinuousClock.now >= deadline
    }

    /// Throws once the time limit has passed; `path` is what the build was doing.
    func checkTime(_ path: String) throws(KustomizeError) {
        if isOverTime, let limit = options.timeLimit { throw .buildTimedOut(path: path, limit: limit) }
    }

    func charge(bytes: Int, path: String) throws(KustomizeError) {
        try charge(\.bytes, bytes, limit: options.maxTotalBytes, what: "bytes read", path: path)
    }

    func charge(nodes: Int, path: String) throws(KustomizeError) {
        try charge(\.nodes, nodes, limit: options.maxTotalYAMLNodes, what: "YAML nodes parsed", path: path)
    }

    func charge(resources: Int, path: String) throws(KustomizeError) {
        try charge(\.resources, resources, limit: options.maxResources, what: "resources loaded", path: path)
    }

    private func charge(
        _ counter: WritableKeyPath<Usage, Int>, _ amount: Int, limit: Int, what: String, path: String
    ) throws(KustomizeError) {
        let within = usage.withLock { usage in
            let (sum, overflow) = usage[keyPath: counter].addingReportingOverflow(amount)
            usage[keyPath: counter] = overflow ? Int.max : sum
            return !overflow && sum <= limit
        }
        guard within else { throw .buildTooLarge(path: path, what: what, limit: limit) }
        try checkTime(path)
    }
}
