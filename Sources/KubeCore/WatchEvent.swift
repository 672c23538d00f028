/// The type of a watch event.
public enum WatchEventType: String, Sendable, Hashable, CaseIterable {
    case added = "ADDED"
    case modified = "MODIFIED"
    case deleted = "DELETED"
    case bookmark = "BOOKMARK"
    case error = "ERROR"
}

/// One event of a watch stream: `{"type": "ADDED", "object": {...}}`.
///
/// For `ERROR` events the object is a ``Status`` (e.g. 410 Gone when the resource version is too old).
public struct WatchEvent: Sendable, Hashable {
    public var type: WatchEventType
    public var object: JSONValue

    public init(type: WatchEventType, object: JSONValue) {
        self.type = type
        self.object = object
    }

    /// Parses one event from its JSON form.
    public init(json: JSONValue) throws(WatchEventError) {
        guard let typeName = json["type"]?.stringValue else { throw .missingType }
        guard let type = WatchEventType(rawValue: typeName) else { throw .unknownType(typeName) }
        guard let object = json["object"], object.objectValue != nil else { throw .missingObject }
        self.init(type: type, object: object)
    }

    /// Parses one line of a watch stream.
    public init(line: some Collection<UInt8>) throws(WatchEventError) {
        let json: JSONValue
        do { json = try JSONParser.parse(line) } catch { throw .invalidJSON(error.description) }
        try self.init(json: json)
    }

    /// The server's `Status` if this is an `ERROR` event.
    public var status: Status? { type == .error ? Status(json: object) : nil }

    /// The JSON form.
    public var json: JSONValue { ["type": .string(type.rawValue), "object": object] }
}

/// Why a watch event could not be parsed.
public enum WatchEventError: Error, Sendable, Hashable {
    case missingType
    case unknownType(String)
    case missingObject
    case invalidJSON(String)

    /// Bounded CamelCase reason.
    public var reason: String {
        switch self {
        case .missingType: "WatchEventMissingType"
        case .unknownType: "WatchEventUnknownType"
        case .missingObject: "WatchEventMissingObject"
        case .invalidJSON: "WatchEventInvalidJSON"
        }
    }

    /// Human-readable message.
    public var message: String {
        switch self {
        case .missingType: "watch event has no \"type\" string"
        case .unknownType(let type): "watch event has unknown type \"\(type.prefix(40))\""
        case .missingObject: "watch event has no \"object\""
        case .invalidJSON(let detail): "watch event is not valid JSON: \(detail)"
        }
    }
}

/// Splits a byte stream into newline-terminated lines, whatever the chunk boundaries are.
///
/// Pure state: feed chunks with ``append(_:)`` and take the complete lines it returns; call ``finish()`` at the end
/// of the stream for a final line without a newline. Empty lines are skipped.
public struct LineSplitter: Sendable {
    private var pending: [UInt8] = []
    /// Lines longer than this are an error (protects against a server that never sends a newline).
    public var maxLineLength: Int

    public init(maxLineLength: Int = 64 << 20) {
        self.maxLineLength = maxLineLength
    }

    /// Appends a chunk and returns the lines it completes.
    public mutating func append(_ chunk: some Sequence<UInt8>) throws(LineTooLongError) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        for byte in chunk {
            if byte == UInt8(ascii: "\n") {
                if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
                if !pending.isEmpty { lines.append(pending) }
                pending.removeAll(keepingCapacity: true)
            } else {
                pending.append(byte)
                if pending.count > maxLineLength { throw LineTooLongError(limit: maxLineLength) }
            }
        }
        return lines
    }

    /// The final line if the stream did not end with a newline.
    public mutating func finish() -> [UInt8]? {
        defer { pending = [] }
        let trimmed = pending.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }
        return trimmed.isEmpty ? nil : pending
    }
}

/// A line of a newline-delimited stream exceeded ``LineSplitter/maxLineLength``.
public struct LineTooLongError: Error, Sendable, Hashable {
    public var limit: Int
}
