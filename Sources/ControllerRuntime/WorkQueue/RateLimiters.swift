/// Per-key exponential backoff, as client-go's `ItemExponentialFailureRateLimiter`.
///
/// The first failure of a key waits `base`, each further failure doubles the wait, up to `cap`.
/// Defaults: 5 ms doubling to 1,000 s (about 16.7 minutes), client-go's values. A pure value: no clock, no IO.
package struct ExponentialBackoff<Key: Hashable & Sendable>: Sendable {
    /// The delay after the first failure. Default 5 ms.
    package var base: Duration
    /// The longest delay. Default 1,000 s.
    package var cap: Duration
    private var failures: [Key: Int] = [:]

    package init(base: Duration = .milliseconds(5), cap: Duration = .seconds(1_000)) {
        self.base = base
        self.cap = cap
    }

    /// Records one more failure of `key` and returns how long to wait before retrying it.
    package mutating func nextDelay(for key: Key) -> Duration {
        let count = failures[key, default: 0]
        failures[key] = count + 1
        // 2^count overflows nothing below 2^62; past ~40 doublings the cap is reached anyway.
        let exponent = min(count, 40)
        let delay = base * Double(1 << exponent)
        return delay < cap ? delay : cap
    }

    /// How many failures `key` has had since it was last forgotten.
    package func failureCount(for key: Key) -> Int { failures[key, default: 0] }

    /// Forgets the failures of `key` (after a successful reconcile).
    package mutating func forget(_ key: Key) { failures[key] = nil }
}

/// An overall token bucket: `rate` tokens per second with room for `burst`, as client-go's `BucketRateLimiter`.
///
/// Each call to ``reserve(at:)`` takes a token and returns how long the caller must wait for it. Defaults
/// (10 per second, burst 100) are client-go's controller defaults. A pure value: the caller passes the time.
package struct TokenBucket: Sendable {
    /// Tokens added per second.
    package var rate: Double
    /// The most tokens the bucket holds.
    package var burst: Double
    private var tokens: Double
    private var last: ContinuousClock.Instant?

    package init(rate: Double = 10, burst: Int = 100) {
        self.rate = rate
        self.burst = Double(burst)
        self.tokens = Double(burst)
    }

    /// Takes one token at `now` and returns the wait until that token is available (zero if one is there).
    package mutating func reserve(at now: ContinuousClock.Instant) -> Duration {
        if let last {
            let elapsed = last.duration(to: now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            tokens = min(burst, tokens + max(0, seconds) * rate)
        }
        last = now
        tokens -= 1
        if tokens >= 0 { return .zero }
        return .seconds(-tokens / rate)
    }
}
