/// Parses and prints durations the way Go's `time.ParseDuration` writes them (`15s`, `1m30s`, `500ms`), since
/// Flux's and controller-runtime's flags use that form.
enum GoDuration {
    private static let units: [(suffix: String, attoseconds: Double)] = [
        ("ns", 1e9), ("us", 1e12), ("µs", 1e12), ("ms", 1e15), ("s", 1e18), ("m", 60e18), ("h", 3_600e18),
    ]

    /// Parses `text`; `nil` when malformed or negative. A bare `0` is zero.
    static func parse(_ text: String) -> Duration? {
        if text == "0" { return .zero }
        var rest = Substring(text)
        var total = Duration.zero
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unitText = rest.prefix { !$0.isNumber && $0 != "." }
            guard let unit = units.first(where: { $0.suffix == unitText }) else { return nil }
            rest = rest.dropFirst(unitText.count)
            let attoseconds = value * unit.attoseconds
            let seconds = (attoseconds / 1e18).rounded(.down)
            total += .seconds(Int64(seconds)) + .nanoseconds(Int64(((attoseconds - seconds * 1e18) / 1e9).rounded()))
        }
        return total
    }

    /// Formats `duration` compactly (`30s`, `1m30s`, `250ms`).
    static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        if seconds == 0 && attoseconds == 0 { return "0s" }
        if seconds == 0 { return "\(attoseconds / 1_000_000_000_000_000)ms" }
        var parts = ""
        if seconds >= 3_600 { parts += "\(seconds / 3_600)h" }
        if seconds % 3_600 >= 60 { parts += "\((seconds % 3_600) / 60)m" }
        if seconds % 60 != 0 || parts.isEmpty { parts += "\(seconds % 60)s" }
        return parts
    }
}
