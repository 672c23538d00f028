import Foundation
import KubeCore
import Testing

@testable import PetrelAPI

@Suite("Go durations")
struct GoDurationTests {
    @Test(
        "parses what Go's time.ParseDuration accepts",
        arguments: [
            ("1m30s", Int64(90_000_000_000)), ("10m", 600_000_000_000), ("500ms", 500_000_000),
            ("1.5h", 5_400_000_000_000), ("0", 0), ("0s", 0), ("2h45m", 9_900_000_000_000), ("1.5s", 1_500_000_000),
            ("300us", 300_000), ("300µs", 300_000), ("42ns", 42), ("-1m", -60_000_000_000), ("+5s", 5_000_000_000),
            (".5s", 500_000_000), ("1.s", 1_000_000_000), ("1h1m1s1ms", 3_661_001_000_000),
            ("2562047h47m16.854775807s", Int64.max),
        ])
    func parses(text: String, nanoseconds: Int64) throws {
        let duration = try GoDuration(parsing: text)
        #expect(duration.nanoseconds == nanoseconds)
        #expect(duration.text == text)
    }

    @Test(
        "refuses what Go refuses",
        arguments: [
            "", "1", "m", "1x", "1.5", "-", ".s", "1 m", "10M", "1d", "2562047h47m16.854775808s", "5 minutes",
            // Past UInt64 only once the fraction is added (S1: these trapped before).
            "5124095.9h", "307445734.9m", "18446744073.9s", "18446744073709.9ms", "-5124095.9h",
            "99999999999999999999h", "9223372036854775807h", "2562048h", "1.5h9999999999999h",
        ])
    func refuses(text: String) {
        #expect(throws: PetrelAPIError.invalidDuration(text)) { try GoDuration(parsing: text) }
    }

    @Test("a fraction that rounds up to its whole unit is added with an overflow check, as Go adds it")
    func fractionRounding() throws {
        #expect(try GoDuration(parsing: "1.999999999999999999s").nanoseconds == 2_000_000_000)
        #expect(try GoDuration(parsing: "0.9h").nanoseconds == 3_240_000_000_000)
    }

    @Test(
        "a spec's duration has the CRD's form and bounds: per-unit digits, 32 characters, no sign, ns or us",
        arguments: [
            ("9999h", true), ("10000h", false), ("99999m", true), ("100000m", false), ("9999999s", true),
            ("10000000s", false), ("9999999999ms", true), ("10000000000ms", false), ("9999.999999h", true),
            ("9999h9999h9999h9999h9999h9999h", true), ("9999h9999h9999h9999h9999h9999h1s", true),
            ("9999h9999h9999h9999h9999h9999h10s", false),
            ("5124095.9h", false), ("2562047h", false), ("0", false), ("-1m", false), ("1us", false), ("1h", true),
            ("0s", true), ("1m30s", true), ("1.5h", true), ("500ms", true), ("1.s", false), (".5s", false),
        ])
    func specBounds(text: String, accepted: Bool) throws {
        if accepted {
            #expect(try GoDuration(specText: text).nanoseconds == GoDuration.parse(text))
        } else {
            #expect(throws: PetrelAPIError.durationOutOfBounds(text, allowHours: true)) {
                try GoDuration(specText: text)
            }
        }
    }

    @Test("no string the CRD accepts comes near Int64.max nanoseconds: the largest is about 6.8 years")
    func largestSpecDuration() throws {
        let largest = try GoDuration(specText: "9999.999999999999999h9999h9999h")
        #expect(largest.text.utf8.count <= GoDuration.crdMaxLength)
        let bound = Int64(60_000) * 3_600_000_000_000
        for text in ["9999h9999h9999h9999h9999h9999h", "99999m99999m99999m99999m99999m", "9999999999ms9999999999ms"] {
            #expect(try GoDuration(specText: text).nanoseconds < bound, "\(text)")
        }
        #expect(largest.nanoseconds < bound)
        #expect(bound < Int64.max / 40)
    }

    @Test("Swift Durations convert with saturation, never trapping")
    func fromSwiftDuration() {
        #expect(GoDuration(.seconds(90)).text == "1m30s")
        #expect(GoDuration(.milliseconds(250)).nanoseconds == 250_000_000)
        #expect(GoDuration(.seconds(Int64.max)).nanoseconds == Int64.max)
        #expect(GoDuration(.seconds(Int64.min)).nanoseconds == Int64.min)
        #expect(GoDuration.seconds(Int64.max).nanoseconds == Int64.max)
        #expect(GoDuration.minutes(Int64.min).nanoseconds == Int64.min)
        #expect(GoDuration.format(.seconds(15)) == "15s")
    }

    @Test("decoding an object names the duration field that is out of bounds, and never echoes more than 40 characters")
    func decodeNamesTheField() throws {
        let kustomization: JSONValue = [
            "apiVersion": "kustomize.petrel.dev/v1", "kind": "Kustomization",
            "metadata": ["name": "crash", "namespace": "tenant-a"],
            "spec": [
                "interval": "5124095.9h", "prune": false, "sourceRef": ["kind": "GitRepository", "name": "anything"],
            ],
        ]
        let error = #expect(throws: PetrelAPIError.self) { try Kustomization(json: kustomization) }
        #expect(error?.message.contains("spec.interval") == true, "\(String(describing: error))")
        #expect(error?.message.contains("5124095.9h") == true)

        var flood = kustomization
        var spec = kustomization["spec"] ?? .null
        spec["retryInterval"] = .string(String(repeating: "1", count: 100_000) + "s")
        flood["spec"] = spec
        let flooded = #expect(throws: PetrelAPIError.self) { try Kustomization(json: flood) }
        #expect((flooded?.message.count ?? .max) < 1_000, "\(String(describing: flooded))")

        let repository: JSONValue = [
            "apiVersion": "source.petrel.dev/v1", "kind": "GitRepository", "metadata": ["name": "r"],
            "spec": ["url": "https://example.com/r.git", "interval": "1m", "timeout": "1h"],
        ]
        let noHours = #expect(throws: PetrelAPIError.self) { try GitRepository(json: repository) }
        #expect(noHours?.message.contains("spec.timeout") == true, "\(String(describing: noHours))")
    }

    @Test(
        "formats like Go's Duration.String()",
        arguments: [
            (Int64(0), "0s"), (1, "1ns"), (1_500, "1.5µs"), (500_000_000, "500ms"), (1_500_000_000, "1.5s"),
            (90_000_000_000, "1m30s"), (3_600_000_000_000, "1h0m0s"), (5_400_000_000_000, "1h30m0s"),
            (-60_000_000_000, "-1m0s"), (3_661_001_000_000, "1h1m1.001s"),
        ])
    func formats(nanoseconds: Int64, text: String) throws {
        let duration = GoDuration(nanoseconds: nanoseconds)
        #expect(duration.text == text)
        #expect(try GoDuration(parsing: text).nanoseconds == nanoseconds)
    }

    @Test("equality is by length, and the written text is kept for encoding")
    func equalityAndEncoding() throws {
        let short = try GoDuration(parsing: "10m")
        #expect(short == GoDuration.minutes(10))
        #expect(GoDuration.minutes(10).text == "10m0s")
        let data = try JSONEncoder().encode([short])
        #expect(String(decoding: data, as: UTF8.self) == #"["10m"]"#)
        let decoded = try JSONDecoder().decode([GoDuration].self, from: Data(#"["1.5h"]"#.utf8))
        #expect(decoded == [.minutes(90)])
        #expect(decoded.first?.duration == .seconds(5400))
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([GoDuration].self, from: Data(#"["soon"]"#.utf8))
        }
    }

    @Test(
        "the CRD pattern check agrees with the regular expression",
        arguments: [
            "1m", "1m30s", "1.5h", "500ms", "0", "-1m", "1us", "1.m", "", "10", "1h", "1s1", "ms", "12345ms",
            "123456m", "12345h", "1234h", "1234567s", "12345678s", "1234567890ms", "12345678901ms", "5124095.9h",
            "1h1h1h", "1mms", "1.5.5s", "9999h9999h9999h9999h9999h9999h", "9999h9999h9999h9999h9999h9999h99",
            "\u{0661}s", "1ｓ",
        ])
    func crdPattern(text: String) throws {
        for (pattern, allowHours) in [(GoDuration.crdPattern, true), (GoDuration.crdPatternWithoutHours, false)] {
            #expect(GoDuration.matchesCRDPattern(text, allowHours: allowHours) == Self.crdAccepts(text, pattern))
        }
    }

    @Test("the CRD's pattern and maxLength and the decoder agree on 20,000 generated strings")
    func crdAgreementProperty() throws {
        var generator = SeededGenerator(seed: 0x5EC1_D0A7)
        let pieces = [
            "0", "1", "9", "99", "9999", "12345", "1234567", "12345678", ".", ".5", "h", "m", "s", "ms", "us",
        ]
        for _ in 0..<20_000 {
            let count = Int.random(in: 1...12, using: &generator)
            let text = (0..<count).map { _ in pieces.randomElement(using: &generator)! }.joined()
            for (pattern, allowHours) in [(GoDuration.crdPattern, true), (GoDuration.crdPatternWithoutHours, false)] {
                let accepted = (try? GoDuration(specText: text, allowHours: allowHours)) != nil
                #expect(accepted == Self.crdAccepts(text, pattern), "\(text) \(pattern)")
            }
        }
    }

    /// What the API server accepts: the pattern as a regular expression, and at most ``crdMaxLength`` characters.
    static func crdAccepts(_ text: String, _ pattern: String) -> Bool {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return false }
        let matches = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
        return matches && text.unicodeScalars.count <= GoDuration.crdMaxLength
    }
}

@Suite("Kubernetes timestamps")
struct TimeTests {
    @Test(
        "parses RFC 3339 and writes whole seconds in UTC",
        arguments: [
            ("2024-05-01T12:00:00Z", Int64(1_714_564_800), "2024-05-01T12:00:00Z"),
            ("2024-05-01T12:00:00.987654321Z", 1_714_564_800, "2024-05-01T12:00:00Z"),
            ("2024-05-01T14:00:00+02:00", 1_714_564_800, "2024-05-01T12:00:00Z"),
            ("1970-01-01T00:00:00Z", 0, "1970-01-01T00:00:00Z"),
            ("1969-12-31T23:59:59Z", -1, "1969-12-31T23:59:59Z"),
            ("2000-02-29T23:59:59Z", 951_868_799, "2000-02-29T23:59:59Z"),
        ])
    func parses(text: String, seconds: Int64, canonical: String) throws {
        let time = try Time(rfc3339: text)
        #expect(time.secondsSince1970 == seconds)
        #expect(time.rfc3339 == canonical)
        #expect(Time(time.date) == time)
    }

    @Test(
        "refuses text that is not RFC 3339",
        arguments: ["", "2024-05-01", "2024-05-01T12:00:00", "2024-13-01T00:00:00Z", "yesterday"])
    func refuses(text: String) {
        #expect(throws: PetrelAPIError.invalidTime(text)) { try Time(rfc3339: text) }
    }

    @Test("agrees with Foundation's ISO 8601 formatter over a range of instants")
    func agreesWithFoundation() {
        let formatter = ISO8601DateFormatter()
        for seconds in stride(from: Int64(-2_000_000_000), through: 4_000_000_000, by: 86_399 * 97 + 13) {
            let time = Time(secondsSince1970: seconds)
            #expect(time.rfc3339 == formatter.string(from: time.date))
        }
    }
}
