/// Decides, without IO, what to do with one event: create a new Event object, bump the count of an identical one
/// already written, or drop it because its object exceeded its budget (client-go's `EventCorrelator`, minus the
/// aggregation of merely similar messages).
///
/// ## Guarantees
/// - Identical events (same involved object UID, type, reason and message) map to one Event object whose count
///   grows by one per record.
/// - Each involved object has a token bucket (default burst 25, one token back every 5 minutes, client-go's spam
///   filter): once empty, its events are dropped until tokens return, so a hot reconcile loop cannot flood the API
///   server.
/// - The cache of written events is bounded (default 4,096 entries); the least recently seen entries go first.
package struct EventCorrelator: Sendable {
    /// What makes two events identical.
    package struct Key: Hashable, Sendable {
        package var objectUID: String
        package var type: EventType
        package var reason: String
        package var message: String
    }

    /// Tunables; defaults are client-go's.
    package struct Limits: Sendable {
        /// Events an object may emit in a burst. Default 25.
        package var burst: Double = 25
        /// Tokens returned per second. Default one every 5 minutes.
        package var refillPerSecond: Double = 1.0 / 300
        /// Written events remembered for aggregation. Default 4,096.
        package var cacheSize: Int = 4_096
        package init() {}
    }

    /// The decision for one event.
    package enum Decision: Sendable, Equatable {
        /// Write a new Event with this name and count 1.
        case create(name: String)
        /// Patch the Event `name` to this count (and a new `lastTimestamp`).
        case bump(name: String, count: Int)
        /// Drop the event: the object's budget is spent.
        case drop
    }

    private struct Bucket: Sendable {
        var tokens: Double
        var last: ContinuousClock.Instant
    }

    private struct Entry: Sendable {
        var name: String
        var count: Int
        var lastSeen: ContinuousClock.Instant
    }

    package let limits: Limits
    private var buckets: [String: Bucket] = [:]
    private var entries: [Key: Entry] = [:]

    package init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Decides what to do with an event `key` at `now`; `newName` is the name used if a new Event is needed.
    package mutating func observe(_ key: Key, newName: String, at now: ContinuousClock.Instant) -> Decision {
        guard takeToken(for: key.objectUID, at: now) else { return .drop }
        if var entry = entries[key] {
            entry.count += 1
            entry.lastSeen = now
            entries[key] = entry
            return .bump(name: entry.name, count: entry.count)
        }
        if entries.count >= limits.cacheSize { evictOldest() }
        entries[key] = Entry(name: newName, count: 1, lastSeen: now)
        return .create(name: newName)
    }

    /// Forgets the Event written for `key` (it was deleted on the server, e.g. by its TTL): the next identical
    /// event creates a new one.
    package mutating func forget(_ key: Key) {
        entries[key] = nil
    }

    private mutating func takeToken(for object: String, at now: ContinuousClock.Instant) -> Bool {
        var bucket = buckets[object] ?? Bucket(tokens: limits.burst, last: now)
        let elapsed = bucket.last.duration(to: now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        bucket.tokens = min(limits.burst, bucket.tokens + max(0, seconds) * limits.refillPerSecond)
        bucket.last = now
        guard bucket.tokens >= 1 else {
            buckets[object] = bucket
            return false
        }
        bucket.tokens -= 1
        buckets[object] = bucket
        if buckets.count > limits.cacheSize * 2 {
            // Full buckets carry no state worth keeping.
            buckets = buckets.filter { $0.value.tokens < limits.burst - 1 || $0.key == object }
        }
        return true
    }

    private mutating func evictOldest() {
        let sorted = entries.sorted { $0.value.lastSeen < $1.value.lastSeen }
        for (key, _) in sorted.prefix(max(1, entries.count / 4)) { entries[key] = nil }
    }
}
