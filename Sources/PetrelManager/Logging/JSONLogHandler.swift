import Foundation
import KubeCore
import Logging
import Synchronization

/// A swift-log handler that writes one JSON object per line (`--log-encoding json`), like the zap logger of Flux
/// and controller-runtime: `{"ts":"…","level":"info","logger":"…","msg":"…", …metadata}`.
///
/// Metadata keys become top-level fields after the fixed ones (a key named like a fixed field is prefixed with
/// `meta.`). Values are strings, or nested objects and arrays for dictionary and array metadata. The handler
/// writes what it is given: callers keep secrets out of messages and metadata (Petrel's errors strip credentials
/// before they reach a log).
package struct JSONLogHandler: LogHandler {
    /// Where the lines go.
    package enum Destination: Sendable {
        case standardError
        case standardOutput
        /// Collects lines in memory (for tests).
        case memory(JSONLogSink)
    }

    package var metadata: Logger.Metadata = [:]
    package var logLevel: Logger.Level = .info
    private let label: String
    private let destination: Destination

    package init(label: String, destination: Destination = .standardError) {
        self.label = label
        self.destination = destination
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    private static let fixedKeys: Set<String> = ["ts", "level", "logger", "msg"]

    package func log(event: LogEvent) {
        var object = JSONObject()
        object["ts"] = .string(Self.timestamp(Date()))
        object["level"] = .string(event.level.rawValue)
        object["logger"] = .string(label)
        object["msg"] = .string("\(event.message)")
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for key in merged.keys.sorted() {
            guard let value = merged[key] else { continue }
            object[Self.fixedKeys.contains(key) ? "meta.\(key)" : key] = Self.json(value)
        }
        if event.level >= .error {
            object["caller"] = .string("\((event.file as NSString).lastPathComponent):\(event.line)")
        }
        var line = JSONSerializer.bytes(.object(object))
        line.append(UInt8(ascii: "\n"))
        switch destination {
        case .standardError: Self.write(line, to: STDERR_FILENO)
        case .standardOutput: Self.write(line, to: STDOUT_FILENO)
        case .memory(let sink): sink.append(String(decoding: line, as: UTF8.self))
        }
    }

    private static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let string): .string(string)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .dictionary(let dictionary):
            .object(JSONObject(dictionary.keys.sorted().compactMap { key in dictionary[key].map { (key, json($0)) } }))
        case .array(let array): .array(array.map(json))
        }
    }

    /// One `write(2)` per line, so concurrent lines never interleave.
    private static func write(_ bytes: [UInt8], to descriptor: Int32) {
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(descriptor, base + offset, buffer.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }

    /// RFC 3339 in UTC with milliseconds.
    static func timestamp(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        let whole = seconds.rounded(.down)
        var time = time_t(whole)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec),
            min(999, Int((seconds - whole) * 1_000)))
    }
}

/// Lines collected by a ``JSONLogHandler`` writing to memory.
package final class JSONLogSink: Sendable {
    private let storage = Mutex<[String]>([])
    package init() {}
    func append(_ line: String) { storage.withLock { $0.append(line) } }
    /// The lines so far, each ending with a newline.
    package var lines: [String] { storage.withLock { $0 } }
}

extension LogLevelArgument {
    /// The swift-log level.
    package var level: Logger.Level {
        switch self {
        case .debug: .debug
        case .info: .info
        case .warning: .warning
        case .error: .error
        }
    }
}
