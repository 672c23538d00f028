import Testing
import Yams

@testable import Kustomize

/// The hand-written plain-scalar resolution must agree with the regular expressions it replaces (Yams' default
/// resolver with YAML 1.2 booleans), on every kind of input that matters for kustomize output.
@Suite("Plain scalar resolution")
struct ScalarKindTests {
    static let regexResolver: Resolver = {
        let base = Resolver.default.removing(.bool)
        return (try? base.appending(.bool, "^(?:true|True|TRUE|false|False|FALSE)$")) ?? base
    }()

    static let samples = [
        "", "~", "null", "Null", "NULL", "nUll", "true", "True", "TRUE", "tRue", "false", "yes", "no", "on", "off", "y",
        "n", "0", "-0", "+0", "00", "007", "08", "0_7", "0o17", "0o", "0o8", "0b101", "0b", "0b2", "0x1F", "0xg",
        "0x_", "-0x1f", "+12", "12", "1_000", "12a", "1.", "1.5", "-1.5", "+1.5e3", "1e3", "1E+3", "1e", "1.5.2",
        "01.5", ".5", ".5e+3", ".5e3", "._", ".", "-.5", ".inf", "-.Inf", ".NaN", "1:30", "190:20:30.15", "12:30:00",
        "2001-12-14", "2001-12-14t21:59:43.10-05:00", "<<", "=", "abc", "1.10", "v1", "1_", "_1", "-", "+", "1e-5",
        "123456789012345678901234567890", "0.0.0.0", "1,000", " 1", "0x",
    ]

    @Test("every sample resolves to the tag the regular expressions give")
    func agreesWithRegularExpressions() throws {
        for sample in Self.samples {
            let node = Node.scalar(Node.Scalar(sample, Tag(.implicit, Self.regexResolver)))
            let expected: ScalarKind
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case Tag.Name.null: expected = .null
            case Tag.Name.bool: expected = .bool
            case Tag.Name.int: expected = .int
            case Tag.Name.float: expected = .float
            default: expected = .string
            }
            // Base-60 numbers and infinities/NaN become strings in the conversion either way, so the hand-written
            // rules may call them strings directly.
            let lenient = (expected == .int || expected == .float) && (sample.contains(":") || sample.contains("."))
                && ["inf", "Inf", "nan", "NaN", ":"].contains { sample.contains($0) }
            #expect(ScalarKind(plain: sample) == expected || (lenient && ScalarKind(plain: sample) == .string), "'\(sample)'")
        }
    }

    @Test("documents read the same values through the new resolution")
    func values() throws {
        let documents = try YAMLCodec.parseStream(
            "a: 0x1F\nb: 017\nc: 1_000\nd: 1.5\ne: .inf\nf: yes\ng: ~\nh: !!str 12\ni: 12:30\nj: '3'\nk: true\n", file: "t")
        #expect(
            documents == [
                [
                    "a": 31, "b": 15, "c": 1000, "d": 1.5, "e": ".inf", "f": "yes", "g": nil, "h": "12", "i": "12:30",
                    "j": "3", "k": true,
                ]
            ])
    }
}
