import Foundation
import KubeCore
import Kustomize
import PetrelAPI

/// Where output goes and whether it is coloured: colours only when the stream is a terminal, `NO_COLOR` is unset
/// and `TERM` is not `dumb`.
enum Terminal {
    enum Colour: String {
        case red = "31", green = "32", yellow = "33", blue = "34", bold = "1", dim = "2"
    }

    static let stdoutColoured = colourAllowed(fileDescriptor: STDOUT_FILENO)
    static let stderrColoured = colourAllowed(fileDescriptor: STDERR_FILENO)

    static func colourAllowed(fileDescriptor: Int32) -> Bool {
        let environment = ProcessInfo.processInfo.environment
        guard isatty(fileDescriptor) == 1, environment["NO_COLOR"] == nil else { return false }
        return environment["TERM"] != "dumb"
    }

    static func paint(_ text: String, _ colour: Colour, enabled: Bool) -> String {
        enabled ? "\u{1B}[\(colour.rawValue)m\(text)\u{1B}[0m" : text
    }

    /// A progress line on stderr (`► …`), as Flux prints them.
    static func progress(_ text: String) {
        writeError(paint("►", .blue, enabled: stderrColoured) + " " + text)
    }

    /// A waiting line on stderr (`◎ …`).
    static func waiting(_ text: String) {
        writeError(paint("◎", .yellow, enabled: stderrColoured) + " " + text)
    }

    /// A success line on stdout (`✔ …`).
    static func success(_ text: String) {
        print(paint("✔", .green, enabled: stdoutColoured) + " " + text)
    }

    /// A failure line on stdout (`✗ …`), for results (not errors).
    static func failure(_ text: String) {
        print(paint("✗", .red, enabled: stdoutColoured) + " " + text)
    }

    /// An error line on stderr (`✗ …`).
    static func error(_ text: String) {
        writeError(paint("✗", .red, enabled: stderrColoured) + " " + text)
    }

    static func writeError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Ready's status painted: True green, False red, anything else yellow.
    static func readyCell(_ status: String) -> Cell {
        let colour: Colour = status == "True" ? .green : status == "False" ? .red : .yellow
        return Cell(status, colour: colour)
    }
}

/// One table cell: its text and an optional colour (which does not count towards the width).
struct Cell: Sendable {
    let text: String
    let colour: Terminal.Colour?

    init(_ text: String, colour: Terminal.Colour? = nil) {
        self.text = text
        self.colour = colour
    }
}

/// A kubectl-style table: upper-case headers, columns padded to their widest cell plus three spaces.
struct Table {
    let headers: [String]
    var rows: [[Cell]] = []

    init(headers: [String]) {
        self.headers = headers
    }

    mutating func add(_ row: [Cell]) {
        rows.append(row)
    }

    func render(coloured: Bool) -> String {
        var widths = headers.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.text.count)
            }
        }
        func line(_ cells: [Cell]) -> String {
            var text = ""
            for (index, cell) in cells.enumerated() {
                let isLast = index == cells.count - 1
                let painted = cell.colour.map { Terminal.paint(cell.text, $0, enabled: coloured) } ?? cell.text
                text += painted
                if !isLast { text += String(repeating: " ", count: widths[index] - cell.text.count + 3) }
            }
            return text
        }
        var lines = [line(headers.map { Cell($0) })]
        lines += rows.map(line)
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Output formats of `-o`.
enum OutputFormat: String, CaseIterable, Sendable {
    case table, json, yaml, name
}

/// Serialisation of objects for `-o json` and `-o yaml`.
enum ObjectPrinter {
    /// A single object, or a `List` holding `items` (what kubectl prints).
    static func listObject(_ items: [JSONValue]) -> JSONValue {
        ["apiVersion": "v1", "items": .array(items), "kind": "List", "metadata": ["resourceVersion": ""]]
    }

    static func render(_ value: JSONValue, format: OutputFormat) -> String {
        switch format {
        case .yaml: YAMLWriter.document(value)
        default: prettyJSON(value) + "\n"
        }
    }

    /// JSON indented with four spaces, as `kubectl get -o json` prints it.
    static func prettyJSON(_ value: JSONValue, indent: Int = 0) -> String {
        let pad = String(repeating: " ", count: indent + 4)
        let closing = String(repeating: " ", count: indent)
        switch value {
        case .object(let object):
            if object.isEmpty { return "{}" }
            let members = object.keys.map { key in
                "\(pad)\(JSONSerializer.string(.string(key))): \(prettyJSON(object[key] ?? .null, indent: indent + 4))"
            }
            return "{\n" + members.joined(separator: ",\n") + "\n\(closing)}"
        case .array(let items):
            if items.isEmpty { return "[]" }
            return "[\n" + items.map { pad + prettyJSON($0, indent: indent + 4) }.joined(separator: ",\n") + "\n\(closing)]"
        default:
            return JSONSerializer.string(value)
        }
    }
}

/// Times and ages.
enum Timestamps {
    /// The current time in RFC 3339 with nanoseconds, trailing zeros dropped (Go's `time.RFC3339Nano` in UTC), the
    /// format Flux's CLI writes into `reconcile.fluxcd.io/requestedAt`.
    static func rfc3339NanoNow() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        let whole = Time(secondsSince1970: Int64(spec.tv_sec)).rfc3339  // "…T12:00:00Z"
        var fraction = String(Int(spec.tv_nsec))
        fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        guard !fraction.isEmpty else { return whole }
        return String(whole.dropLast()) + "." + fraction + "Z"
    }

    /// Seconds since 1970 of an RFC 3339 timestamp, with the fraction if any.
    static func seconds(_ text: String?) -> Double? {
        guard let text, let time = try? Time(rfc3339: text) else { return nil }
        var seconds = Double(time.secondsSince1970)
        if let dot = text.firstIndex(of: "."), let end = text[dot...].firstIndex(where: { !"0123456789.".contains($0) }) {
            seconds += Double("0" + text[dot..<end]) ?? 0
        }
        return seconds
    }

    /// The age of an RFC 3339 timestamp as kubectl prints it (`45s`, `3m20s`, `5h`, `2d3h`); `<unknown>` when absent.
    static func age(since text: String?, now: Date = Date()) -> String {
        guard let seconds = seconds(text) else { return "<unknown>" }
        return human(now.timeIntervalSince1970 - seconds)
    }

    /// kubectl's `duration.HumanDuration`.
    static func human(_ interval: Double) -> String {
        let seconds = Int(interval.rounded(.down))
        if seconds < -1 { return "<invalid>" }
        if seconds < 0 { return "0s" }
        if seconds < 120 { return "\(seconds)s" }
        let minutes = seconds / 60
        if minutes < 10 {
            let rest = seconds % 60
            return rest == 0 ? "\(minutes)m" : "\(minutes)m\(rest)s"
        }
        if minutes < 180 { return "\(minutes)m" }
        let hours = seconds / 3600
        if hours < 8 {
            let rest = minutes % 60
            return rest == 0 ? "\(hours)h" : "\(hours)h\(rest)m"
        }
        if hours < 48 { return "\(hours)h" }
        if hours < 24 * 8 {
            let rest = hours % 24
            return rest == 0 ? "\(hours / 24)d" : "\(hours / 24)d\(rest)h"
        }
        if hours < 24 * 365 * 2 { return "\(hours / 24)d" }
        if hours < 24 * 365 * 8 {
            let rest = (hours / 24) % 365
            return rest == 0 ? "\(hours / 24 / 365)y" : "\(hours / 24 / 365)y\(rest)d"
        }
        return "\(hours / 24 / 365)y"
    }
}
