/// A duration written the way Go's `time.ParseDuration` reads it: `"1m30s"`, `"10m"`, `"500ms"`, `"1.5h"`.
///
/// This is the wire type of `metav1.Duration` (Flux's `interval`, `timeout`, `retryInterval`). The text a user wrote
/// is kept, so a manifest re-encodes unchanged (`"10m"` stays `"10m"` rather than Go's `"10m0s"`); values built in
/// code are written in Go's canonical form. Equality and hashing look at the length only.
public struct GoDuration: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The length in nanoseconds (Go's `time.Duration`).
    public let nanoseconds: Int64
    /// The text written on the wire.
    public let text: String

    /// The regular expression Flux's CRDs put on `interval` and `retryInterval` (no sign, no `ns`/`us`).
    public static let crdPattern = #"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"#
    /// The stricter pattern Flux puts on a GitRepository's `timeout` (no hours).
    public static let crdPatternWithoutHours = #"^([0-9]+(\.[0-9]+)?(ms|s|m))+$"#

    /// A duration of `nanoseconds`, written in Go's canonical form (e.g. `"1m30s"`).
    public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
        self.text = GoDuration.format(nanoseconds: nanoseconds)
    }

    /// A duration of `nanoseconds` written as `text`; the caller guarantees they agree.
    init(nanoseconds: Int64, text: String) {
        self.nanoseconds = nanoseconds
        self.text = text
    }

    /// A duration of whole seconds.
    public static func seconds(_ seconds: Int64) -> GoDuration { GoDuration(nanoseconds: seconds * 1_000_000_000) }

    /// A duration of whole minutes.
    public static func minutes(_ minutes: Int64) -> GoDuration { .seconds(minutes * 60) }

    /// Parses Go duration syntax: an optional sign, then one or more `<number>[.<fraction>]<unit>` with units `ns`,
    /// `us` (or `µs`), `ms`, `s`, `m`, `h`; `"0"` alone is zero.
    ///
    /// - Throws: ``PetrelAPIError/invalidDuration(_:)`` for anything Go would refuse, including overflow.
    public init(parsing text: String) throws(PetrelAPIError) {
        guard let nanoseconds = GoDuration.parse(text) else { throw .invalidDuration(text) }
        self.nanoseconds = nanoseconds
        self.text = text
    }

    /// Whether `text` satisfies ``crdPattern`` (what the API server accepts for `interval`).
    public static func matchesCRDPattern(_ text: String, allowHours: Bool = true) -> Bool {
        var scalars = Substring(text).unicodeScalars[...]
        guard !scalars.isEmpty else { return false }
        while !scalars.isEmpty {
            guard scalars.first.map(isDigit) == true else { return false }
            scalars = scalars.drop(while: isDigit)
            if scalars.first == "." {
                scalars = scalars.dropFirst()
                guard scalars.first.map(isDigit) == true else { return false }
                scalars = scalars.drop(while: isDigit)
            }
            if scalars.starts(with: "ms".unicodeScalars) {
                scalars = scalars.dropFirst(2)
            } else if scalars.first == "s" || scalars.first == "m" || (allowHours && scalars.first == "h") {
                scalars = scalars.dropFirst()
            } else {
                return false
            }
        }
        return true
    }

    /// The length as a Swift `Duration`.
    public var duration: Duration { .nanoseconds(nanoseconds) }

    /// The length in seconds.
    public var seconds: Double { Double(nanoseconds) / 1e9 }

    public var description: String { text }

    public static func == (lhs: GoDuration, rhs: GoDuration) -> Bool { lhs.nanoseconds == rhs.nanoseconds }
    public func hash(into hasher: inout Hasher) { hasher.combine(nanoseconds) }
    public static func < (lhs: GoDuration, rhs: GoDuration) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}

extension GoDuration {
    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool { scalar >= "0" && scalar <= "9" }

    private static let units: [(String, UInt64)] = [
        ("ns", 1), ("us", 1_000), ("µs", 1_000), ("μs", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000),
        ("m", 60_000_000_000), ("h", 3_600_000_000_000),
    ]

    /// Go's `time.ParseDuration`, returning `nil` where Go returns an error.
    static func parse(_ text: String) -> Int64? {
        var rest = Substring(text)
        var negative = false
        if let sign = rest.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            rest = rest.dropFirst()
        }
        if rest == "0" { return 0 }
        guard !rest.isEmpty else { return nil }
        var total: UInt64 = 0
        while !rest.isEmpty {
            let whole = rest.prefix(while: { $0.isASCII && $0.isNumber })
            rest = rest.dropFirst(whole.count)
            var fraction: Substring = ""
            if rest.first == "." {
                rest = rest.dropFirst()
                fraction = rest.prefix(while: { $0.isASCII && $0.isNumber })
                rest = rest.dropFirst(fraction.count)
            }
            guard !whole.isEmpty || !fraction.isEmpty else { return nil }
            let unitText = rest.prefix(while: { !($0.isASCII && ($0.isNumber || $0 == ".")) })
            guard let unit = units.first(where: { $0.0 == unitText })?.1 else { return nil }
            rest = rest.dropFirst(unitText.count)
            guard let value = whole.isEmpty ? 0 : UInt64(whole) else { return nil }
            let (scaled, overflow) = value.multipliedReportingOverflow(by: unit)
            guard !overflow else { return nil }
            var segment = scaled
            if !fraction.isEmpty {
                // As Go does: the fraction contributes float64(f) * (unit / 10^digits), truncated.
                let digits = fraction.prefix(18)
                if let numerator = Double(digits) {
                    let scale = pow10(digits.count)
                    segment += UInt64((numerator * (Double(unit) / scale)).rounded(.towardZero))
                }
            }
            let (sum, sumOverflow) = total.addingReportingOverflow(segment)
            guard !sumOverflow else { return nil }
            total = sum
        }
        if negative {
            guard total <= UInt64(Int64.max) + 1 else { return nil }
            return total == UInt64(Int64.max) + 1 ? Int64.min : -Int64(total)
        }
        guard total <= UInt64(Int64.max) else { return nil }
        return Int64(total)
    }

    private static func pow10(_ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<exponent { result *= 10 }
        return result
    }

    /// Go's `time.Duration.String()`: `"0s"`, `"500ms"`, `"1.5µs"`, `"1m30s"`, `"1h0m0s"`.
    public static func format(nanoseconds: Int64) -> String {
        if nanoseconds == 0 { return "0s" }
        let sign = nanoseconds < 0 ? "-" : ""
        let magnitude = nanoseconds.magnitude
        if magnitude < 1_000 { return "\(sign)\(magnitude)ns" }
        if magnitude < 1_000_000 { return sign + fraction(magnitude, digits: 3) + "µs" }
        if magnitude < 1_000_000_000 { return sign + fraction(magnitude, digits: 6) + "ms" }
        let wholeSeconds = magnitude / 1_000_000_000
        var result = "\(wholeSeconds % 60)" + fraction(magnitude % 1_000_000_000, digits: 9, integer: false) + "s"
        let minutes = wholeSeconds / 60
        if minutes > 0 {
            result = "\(minutes % 60)m" + result
            let hours = minutes / 60
            if hours > 0 { result = "\(hours)h" + result }
        }
        return sign + result
    }

    /// `value / 10^digits` with its fraction, trailing zeros trimmed; only the fraction when `integer` is false.
    private static func fraction(_ value: UInt64, digits: Int, integer: Bool = true) -> String {
        var divisor: UInt64 = 1
        for _ in 0..<digits { divisor *= 10 }
        let whole = integer ? String(value / divisor) : ""
        let remainder = value % divisor
        guard remainder != 0 else { return whole }
        var fractionDigits = String(remainder)
        fractionDigits = String(repeating: "0", count: digits - fractionDigits.count) + fractionDigits
        while fractionDigits.hasSuffix("0") { fractionDigits.removeLast() }
        return whole + "." + fractionDigits
    }
}
