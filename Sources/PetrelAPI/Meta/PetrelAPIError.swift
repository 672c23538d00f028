/// Errors raised while parsing or converting Petrel API values.
public enum PetrelAPIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A duration string that Go's `time.ParseDuration` would refuse.
    case invalidDuration(String)
    /// A spec's duration outside the form and bounds the CRDs allow (``GoDuration/crdPattern``,
    /// ``GoDuration/crdMaxLength``).
    case durationOutOfBounds(String, allowHours: Bool)
    /// A timestamp that is not RFC 3339.
    case invalidTime(String)
    /// A JSON value that does not match the Swift type.
    case decodingFailed(type: String, detail: String)
    /// A value that could not be turned into JSON.
    case encodingFailed(type: String, detail: String)

    /// A bounded CamelCase reason, usable as a condition reason or metric label.
    public var reason: String {
        switch self {
        case .invalidDuration: "InvalidDuration"
        case .durationOutOfBounds: "DurationOutOfBounds"
        case .invalidTime: "InvalidTime"
        case .decodingFailed: "DecodingFailed"
        case .encodingFailed: "EncodingFailed"
        }
    }

    /// What is wrong and how to fix it.
    public var message: String {
        switch self {
        case .invalidDuration(let text):
            "invalid duration \(Self.quoted(text)): use a Go duration such as \"30s\", \"1m30s\", \"500ms\" or \"1.5h\""
        case .durationOutOfBounds(let text, let allowHours):
            "invalid duration \(Self.quoted(text)): \(GoDuration.specFormDescription(allowHours: allowHours))"
        case .invalidTime(let text):
            "invalid timestamp \(Self.quoted(text)): use RFC 3339, e.g. \"2024-05-01T12:00:00Z\""
        case .decodingFailed(let type, let detail):
            "failed to decode \(type): \(detail); check the object against the CRD schema in crds/"
        case .encodingFailed(let type, let detail):
            "failed to encode \(type): \(detail)"
        }
    }

    public var description: String { message }

    /// `text` in quotes, cut to 40 characters with a marker, so a hostile value cannot flood a message.
    static func quoted(_ text: String) -> String {
        let limit = 40
        guard text.count > limit else { return "\"\(text)\"" }
        return "\"\(text.prefix(limit))\"… (\(text.utf8.count) bytes)"
    }
}
