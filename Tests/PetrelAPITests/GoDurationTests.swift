import Foundation
import PetrelAPI
import Testing

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
        arguments: ["", "1", "m", "1x", "1.5", "-", ".s", "1 m", "10M", "1d", "2562047h47m16.854775808s", "5 minutes"])
    func refuses(text: String) {
        #expect(throws: PetrelAPIError.invalidDuration(text)) { try GoDuration(parsing: text) }
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
        arguments: ["1m", "1m30s", "1.5h", "500ms", "0", "-1m", "1us", "1.m", "", "10", "1h", "1s1", "ms"])
    func crdPattern(text: String) throws {
        for (pattern, allowHours) in [(GoDuration.crdPattern, true), (GoDuration.crdPatternWithoutHours, false)] {
            let regex = try NSRegularExpression(pattern: pattern)
            let matches = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
            #expect(GoDuration.matchesCRDPattern(text, allowHours: allowHours) == matches, "\(pattern)")
        }
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
