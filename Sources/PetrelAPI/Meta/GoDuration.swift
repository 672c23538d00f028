/// A duration written the way Go's `time.ParseDuration` reads it: `"1m30s"`, `"10m"`, `"500ms"`, `"1.5h"`.
///
/// This is the wire type of `metav1.Duration` (Flux's `interval`, `timeout`, `retryInterval`) and the one parser of
/// Go durations in Petrel (controller flags and CLI options use it too). The text a user wrote is kept, so a
/// manifest re-encodes unchanged (`"10m"` stays `"10m"` rather than Go's `"10m0s"`); values built in code are
/// written in Go's canonical form. Equality and hashing look at the length only.
///
/// ## Bounds
/// A duration decoded from an object (`Codable`) must have the form the CRDs allow (``crdPattern`` and
/// ``crdMaxLength``), which bounds its value: each number has at most 4 digits before the point for `h`, 5 for `m`,
/// 7 for `s` and 10 for `ms`, and the text is at most 32 characters, so no duration in a spec exceeds about 6.8
/// years (60,000 h) and none comes near `Int64.max` nanoseconds. The API server and the decoder therefore accept the
/// same strings; an object stored under an older, laxer CRD fails to decode with a message naming the field.
public struct GoDuration: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The length in nanoseconds (Go's `time.Duration`).
    public let nanoseconds: Int64
    /// The text written on the wire.
    public let text: String

    /// The most digits before the decimal point of one number, per unit, in a spec's duration.
    public static let crdDigitLimits: [(unit: String, digits: Int)] = [("h", 4), ("m", 5), ("s", 7), ("ms", 10)]
    /// The longest duration text a spec may hold (the CRDs' `maxLength`).
    public static let crdMaxLength = 32
    /// The regular expression the CRDs put on `interval`, `retryInterval` and a Kustomization's `timeout`: Flux's
    /// `^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$` with the digits bounded per unit (see ``crdDigitLimits``).
    public static let crdPattern = pattern(allowHours: true)
    /// The pattern the CRD puts on a GitRepository's `timeout` (no hours, as in Flux).
    public static let crdPatternWithoutHours = pattern(allowHours: false)

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

    /// The length of `duration` in whole nanoseconds, saturating at `Int64.min`/`Int64.max`.
    public init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, sumOverflow) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        self.init(nanoseconds: overflow || sumOverflow ? (seconds < 0 ? .min : .max) : sum)
    }

    /// A duration of whole seconds (saturating).
    public static func seconds(_ seconds: Int64) -> GoDuration { GoDuration(.seconds(seconds)) }

    /// A duration of whole minutes (saturating).
    public static func minutes(_ minutes: Int64) -> GoDuration {
        let (seconds, overflow) = minutes.multipliedReportingOverflow(by: 60)
        return .seconds(overflow ? (minutes < 0 ? .min : .max) : seconds)
    }

    /// Parses Go duration syntax: an optional sign, then one or more `<number>[.<fraction>]<unit>` with units `ns`,
    /// `us` (or `µs`), `ms`, `s`, `m`, `h`; `"0"` alone is zero. For flags and CLI options; specs use
    /// ``init(specText:allowHours:)``.
    ///
    /// - Throws: ``PetrelAPIError/invalidDuration(_:)`` for anything Go would refuse, including overflow.
    public init(parsing text: String) throws(PetrelAPIError) {
        guard let nanoseconds = GoDuration.parse(text) else { throw .invalidDuration(text) }
        self.nanoseconds = nanoseconds
        self.text = text
    }

    /// Parses a duration field of a spec: the form of ``crdPattern`` (or ``crdPatternWithoutHours``) in at most
    /// ``crdMaxLength`` characters, exactly what the API server accepts.
    ///
    /// - Throws: ``PetrelAPIError/durationOutOfBounds(_:allowHours:)`` otherwise.
    public init(specText text: String, allowHours: Bool = true) throws(PetrelAPIError) {
        guard GoDuration.matchesCRDPattern(text, allowHours: allowHours), let nanoseconds = GoDuration.parse(text)
        else { throw .durationOutOfBounds(text, allowHours: allowHours) }
        self.nanoseconds = nanoseconds
        self.text = text
    }

    /// Whether `text` satisfies ``crdPattern`` (or ``crdPatternWithoutHours``) and ``crdMaxLength``: what the API
    /// server accepts for a duration field.
    public static func matchesCRDPattern(_ text: String, allowHours: Bool = true) -> Bool {
        guard text.utf8.count <= crdMaxLength else { return false }
        var bytes = Substring(text).utf8[...]
        guard !bytes.isEmpty else { return false }
        while !bytes.isEmpty {
            let digits = bytes.prefix(while: isDigit).count
            guard digits > 0 else { return false }
            bytes = bytes.dropFirst(digits)
            if bytes.first == UInt8(ascii: ".") {
                bytes = bytes.dropFirst()
                let fraction = bytes.prefix(while: isDigit).count
                guard fraction > 0 else { return false }
                bytes = bytes.dropFirst(fraction)
            }
            let unit: String
            if bytes.starts(with: "ms".utf8) {
                unit = "ms"
            } else if let first = bytes.first,
                first == UInt8(ascii: "s") || first == UInt8(ascii: "m")
                    || (allowHours && first == UInt8(ascii: "h"))
            {
                unit = String(UnicodeScalar(first))
            } else {
                return false
            }
            bytes = bytes.dropFirst(unit.utf8.count)
            guard let limit = crdDigitLimits.first(where: { $0.unit == unit }), digits <= limit.digits else {
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

    /// Decodes a spec's duration: the CRD's form and bounds (``init(specText:allowHours:)``, with hours).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(specText: text)
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
    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private static func pattern(allowHours: Bool) -> String {
        let units = crdDigitLimits.filter { allowHours || $0.unit != "h" }
        let alternatives = units.map { #"[0-9]{1,\#($0.digits)}(\.[0-9]+)?\#($0.unit)"# }
        return "^(" + alternatives.joined(separator: "|") + ")+$"
    }

    /// The words of ``PetrelAPIError/durationOutOfBounds(_:allowHours:)``: what a spec's duration may be.
    static func specFormDescription(allowHours: Bool) -> String {
        let units = crdDigitLimits.filter { allowHours || $0.unit != "h" }
        let limits = units.map { "\($0.digits) for \($0.unit)" }.joined(separator: ", ")
        return "use one or more <number><unit> with units \(units.map(\.unit).joined(separator: ", ")) "
            + "(e.g. \"30s\", \"1m30s\"\(allowHours ? ", \"1.5h\"" : "")), with at most as many digits before the "
            + "point as: \(limits); at most \(crdMaxLength) characters in all"
    }

    private static let units: [(String, UInt64)] = [
        ("ns", 1), ("us", 1_000), ("µs", 1_000), ("μs", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000),
        ("m", 60_000_000_000), ("h", 3_600_000_000_000),
    ]

    /// Go's `time.ParseDuration`, returning `nil` where Go returns an error. Never traps: every step that can
    /// overflow is checked.
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
            let (segment, fractionOverflow) = scaled.addingReportingOverflow(fractionPart(fraction, unit: unit))
            guard !fractionOverflow else { return nil }
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

    /// As Go does: the fraction contributes `float64(f) * (unit / 10^digits)`, truncated; at most `unit`.
    private static func fractionPart(_ fraction: Substring, unit: UInt64) -> UInt64 {
        let digits = fraction.prefix(18)
        guard !digits.isEmpty, let numerator = Double(digits) else { return 0 }
        let value = (numerator * (Double(unit) / pow10(digits.count))).rounded(.towardZero)
        // numerator < 10^digits, so value ≤ unit (rounding); the guard keeps the conversion provably in range.
        guard value >= 0, value <= Double(unit) else { return 0 }
        return UInt64(value)
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

    /// Formats a Swift `Duration` as Go prints it (saturating past `Int64` nanoseconds).
    public static func format(_ duration: Duration) -> String { GoDuration(duration).text }

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
