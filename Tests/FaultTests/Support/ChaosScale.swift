import Foundation

/// The size of the fault scenarios: the short form for `make test`, the long form for `make chaos`
/// (`PETREL_CHAOS=1`), and where the long form reports its figures.
enum ChaosScale {
    /// Whether this is the long form (`make chaos`).
    static var isLong: Bool { ProcessInfo.processInfo.environment["PETREL_CHAOS"] == "1" }

    /// `short` in `make test`, `long` in `make chaos`.
    static func pick<T>(short: T, long: T) -> T { isLong ? long : short }

    /// Prints one figure for `scripts/chaos.sh` (`CHAOS scenario key=value ...`); the short form prints them too,
    /// which costs nothing and helps reading a failed run.
    static func report(_ scenario: String, _ figures: [(String, String)]) {
        let text = figures.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
        print("CHAOS \(scenario) \(text)")
    }

    /// Seconds with millisecond precision, for reports.
    static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return String(format: "%.3f", Double(seconds) + Double(attoseconds) / 1e18)
    }
}
