import Foundation
import KubeCore

/// Writes `JSONValue` documents as YAML laid out the way kustomize (kyaml) writes them.
///
/// Keys are sorted, as `kubectl kustomize` prints them. Two-space indentation; sequences start at their key's indentation (`- ` under `key:`); multi-line
/// strings as literal blocks; strings that would read back as another type are quoted.
public enum YAMLWriter {
    /// The YAML stream for `documents`, separated by `---`.
    public static func render(_ documents: [JSONValue]) -> String {
        documents.map(document).joined(separator: "---\n")
    }

    /// One document, ending in a newline.
    public static func document(_ value: JSONValue) -> String {
        var out = ""
        switch value {
        case .object(let object) where !object.isEmpty: writeObject(object, indent: 0, into: &out)
        case .array(let items) where !items.isEmpty: writeArray(items, indent: 0, into: &out)
        default: out = scalar(value, indent: 0, column: 0) + "\n"
        }
        return out
    }

    private static func pad(_ count: Int) -> String { String(repeating: " ", count: count) }

    private static func writeObject(
        _ object: JSONObject, indent: Int, into out: inout String, firstInline: Bool = false
    ) {
        var first = firstInline
        for key in object.keys.sorted() {
            guard let value = object[key] else { continue }
            if !first { out += pad(indent) }
            first = false
            out += quoteIfNeeded(key) + ":"
            writeValue(value, indent: indent, nestedIndent: indent + 2, sequenceIndent: indent, into: &out)
        }
    }

    private static func writeValue(
        _ value: JSONValue, indent: Int, nestedIndent: Int, sequenceIndent: Int, into out: inout String
    ) {
        switch value {
        case .object(let child) where !child.isEmpty:
            out += "\n"
            writeObject(child, indent: nestedIndent, into: &out)
        case .array(let items) where !items.isEmpty:
            out += "\n"
            writeArray(items, indent: sequenceIndent, into: &out)
        default:
            out += " "
            out += scalar(value, indent: nestedIndent, column: currentColumn(out)) + "\n"
        }
    }

    /// The column where the next character of `out` goes.
    private static func currentColumn(_ out: String) -> Int {
        var count = 0
        for scalar in out.unicodeScalars.reversed() {
            if scalar == "\n" { break }
            count += 1
        }
        return count
    }

    private static func writeArray(_ items: [JSONValue], indent: Int, into out: inout String) {
        for item in items {
            out += pad(indent) + "-"
            switch item {
            case .object(let child) where !child.isEmpty:
                out += " "
                writeObject(child, indent: indent + 2, into: &out, firstInline: true)
            case .array(let nested) where !nested.isEmpty:
                out += "\n"
                writeArray(nested, indent: indent + 2, into: &out)
            default:
                out += " " + scalar(item, indent: indent + 2, column: indent + 2) + "\n"
            }
        }
    }

    private static func scalar(_ value: JSONValue, indent: Int, column: Int) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .integer(let number): return String(number)
        case .double(let number):
            if number.rounded() == number && abs(number) < 1e15 { return String(Int64(number)) }
            return String(number)
        case .string(let text): return string(text, indent: indent, column: column)
        case .object: return "{}"
        case .array: return "[]"
        }
    }

    private static func string(_ text: String, indent: Int, column: Int) -> String {
        if text.contains("\n"), literalBlockAllowed(text) {
            let chomp: String
            if !text.hasSuffix("\n") {
                chomp = "-"
            } else if text.hasSuffix("\n\n") {
                chomp = "+"
            } else {
                chomp = ""
            }
            var body = text
            if body.hasSuffix("\n") { body.removeLast() }
            let lines = body.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                line.isEmpty ? "" : pad(indent) + line
            }
            let indicator = text.first == " " || text.first == "\n" ? "2" : ""
            return "|" + indicator + chomp + "\n" + lines.joined(separator: "\n")
        }
        return fold(quoteIfNeeded(text), indent: indent, column: column)
    }

    /// The line width past which go-yaml breaks plain and single-quoted scalars at a space.
    static let bestWidth = 80

    /// Breaks a plain or single-quoted scalar at single spaces once the line is past `bestWidth`, as go-yaml does.
    static func fold(_ scalar: String, indent: Int, column start: Int) -> String {
        guard let first = scalar.unicodeScalars.first else { return scalar }
        let characters = Array(scalar.unicodeScalars)
        var out = String.UnicodeScalarView()
        var column = start
        var previousSpace = false
        for (index, character) in characters.enumerated() {
            if character == " " {
                let next = index + 1 < characters.count ? characters[index + 1] : nil
                let atEdge =
                    index == 0 || index == characters.count - 1 || (first == "'" && index == characters.count - 2)
                if !previousSpace && column > bestWidth && next != " " && next != nil && !atEdge {
                    out.append("\n")
                    out.append(contentsOf: String(repeating: " ", count: indent).unicodeScalars)
                    column = indent
                } else {
                    out.append(character)
                    column += 1
                }
                previousSpace = true
            } else {
                out.append(character)
                column += 1
                previousSpace = false
            }
        }
        return String(out)
    }

    private static func literalBlockAllowed(_ text: String) -> Bool {
        guard text.first != nil else { return false }
        return !text.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || $0.value == 0x7f || $0 == "\u{FEFF}" }
            && !text.contains(" \n") && !text.hasSuffix(" ")
    }

    private static let reservedWords: Set<String> = [
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", "", "<<", "=",
    ]

    /// The text as a plain, single-quoted or double-quoted YAML scalar.
    static func quoteIfNeeded(_ text: String) -> String {
        if isReserved(text) || looksNumeric(text) || text.unicodeScalars.contains(where: { $0.value > 0xFFFF })
        {
            return doubleQuoted(text)
        }
        if needsQuotes(text) {
            if text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7f && $0 != "\u{FEFF}" }) {
                return "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
            }
            return doubleQuoted(text)
        }
        return text
    }

    private static func needsQuotes(_ text: String) -> Bool {
        if isReserved(text) { return true }
        guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last else { return true }
        if "-?:,[]{}#&*!|>'\"%@` \t".unicodeScalars.contains(first) {
            if !((first == "-" || first == "?" || first == ":") && text.count > 1
                && !(text.unicodeScalars.dropFirst().first.map { $0 == " " } ?? true) && first != ":" && first != "?"
                && !looksNumeric(text))
            {
                return true
            }
        }
        if last == " " || last == "\t" || last == ":" { return true }
        if containsPair(text.utf8, UInt8(ascii: ":"), UInt8(ascii: " "))
            || containsPair(text.utf8, UInt8(ascii: " "), UInt8(ascii: "#")) || text.utf8.contains(9)
        {
            return true
        }
        if text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f || $0 == "\u{FEFF}" }) {
            return true
        }
        return looksNumeric(text)
    }

    /// Whether `text` is one of the reserved words in any letter case (they are all short).
    private static func isReserved(_ text: String) -> Bool {
        text.utf8.count <= 5 && reservedWords.contains(text.lowercased())
    }

    private static func containsPair(_ bytes: String.UTF8View, _ first: UInt8, _ second: UInt8) -> Bool {
        var previous: UInt8 = 0
        for byte in bytes {
            if previous == first && byte == second { return true }
            previous = byte
        }
        return false
    }

    private static func looksNumeric(_ text: String) -> Bool {
        // Fast path for ASCII (every numeric form is ASCII); other text takes the general path below.
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return looksNumericASCII(Array(text.utf8)) }
        return looksNumericGeneral(text)
    }

    private static func looksNumericASCII(_ original: [UInt8]) -> Bool {
        let bytes = original.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 + 32 : $0 }
        if bytes == Array(".inf".utf8) || bytes == Array("-.inf".utf8) || bytes == Array("+.inf".utf8)
            || bytes == Array(".nan".utf8)
        {
            return true
        }
        var body = bytes[...]
        if body.first == UInt8(ascii: "+") || body.first == UInt8(ascii: "-") { body = body.dropFirst() }
        if body.isEmpty { return false }
        let digit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        if body.count >= 2, body.first == UInt8(ascii: "0"),
            [UInt8(ascii: "x"), UInt8(ascii: "o"), UInt8(ascii: "b")].contains(body[body.startIndex + 1])
        {
            return body.count > 2
                && body.dropFirst(2).allSatisfy {
                    digit($0) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f")) || $0 == UInt8(ascii: "_")
                }
        }
        let allowed = Array("0123456789._e+-:".utf8)
        return body.allSatisfy { allowed.contains($0) } && body.contains(where: digit)
    }

    private static func looksNumericGeneral(_ text: String) -> Bool {
        let lowered = text.lowercased()
        if [".inf", "-.inf", "+.inf", ".nan"].contains(lowered) { return true }
        var body = Substring(lowered)
        if body.first == "+" || body.first == "-" { body = body.dropFirst() }
        if body.isEmpty { return false }
        if body.hasPrefix("0x") || body.hasPrefix("0o") || body.hasPrefix("0b") {
            return body.count > 2 && body.dropFirst(2).allSatisfy { $0.isHexDigit || $0 == "_" }
        }
        let allowed = Set("0123456789._e+-:")
        guard body.allSatisfy({ allowed.contains($0) }), body.contains(where: { $0.isNumber }) else { return false }
        return true
    }

    private static func doubleQuoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value > 0xFFFF {
                    out += "\\U" + String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 8)
                } else if scalar.value < 0x20 || scalar.value == 0x7f || scalar == "\u{FEFF}" {
                    out += "\\u" + String(scalar.value, radix: 16).leftPadded(to: 4)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
