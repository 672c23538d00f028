/// A token bucket: `qps` tokens per second refill a bucket holding at most `burst` tokens.
///
/// Pure state; ``RateLimiter`` owns one and sleeps as it says.
struct TokenBucket: Sendable {
    let qps: Double
    let burst: Double
    private(set) var tokens: Double
    private var last: ContinuousClock.Instant

    init(qps: Double, burst: Int, now: ContinuousClock.Instant) {
        self.qps = qps
        self.burst = Double(max(1, burst))
        tokens = Double(max(1, burst))
        last = now
    }

    /// Takes one token and returns how long the caller must wait before using it (zero when a token was available).
    /// Tokens go negative to reserve future capacity, so concurrent callers queue fairly.
    mutating func reserve(now: ContinuousClock.Instant) -> Duration {
        guard qps > 0 else { return .zero }
        let elapsed = now - last
        last = now
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        tokens = min(burst, tokens + seconds * qps)
        tokens -= 1
        if tokens >= 0 { return .zero }
        return .milliseconds(Int64((-tokens / qps * 1000).rounded(.up)))
    }

    /// Gives back a token taken by ``reserve(now:)`` that was never used (its request was cancelled while it
    /// waited), so cancelled requests do not delay the ones after them.
    mutating func refund() {
        tokens = min(burst, tokens + 1)
    }
}

/// A client-side rate limiter shared by all requests of a client.
actor RateLimiter {
    private var bucket: TokenBucket
    private let clock = ContinuousClock()

    init(qps: Double, burst: Int) {
        bucket = TokenBucket(qps: qps, burst: burst, now: ContinuousClock().now)
    }

    /// Waits until the request may go. A wait cancelled half-way gives its token back: after a mass cancellation
    /// (a graceful shutdown's drain timing out) the requests that follow, such as releasing the leader Lease, do
    /// not queue behind requests that will never be sent.
    func acquire() async throws {
        let wait = bucket.reserve(now: clock.now)
        guard wait > .zero else { return }
        do {
            try await Task.sleep(for: wait)
        } catch {
            bucket.refund()
            throw error
        }
    }
}
