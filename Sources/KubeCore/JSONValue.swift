/// A JSON value: the unstructured form of every Kubernetes object Petrel handles.
///
/// Objects keep their keys in insertion order, so a manifest read from YAML or JSON is written back
/// in the order its author used (what kustomize and `kubectl` do). Integers and floating-point numbers
/// are kept apart so that `replicas: 3` never turns into `3.0`.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case integer(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
}

extension JSONValue {
    /// The object, if this value is one.
    public var objectValue: JSONObject? {
        if case .object(let object) = self { return object }
        return nil
    }

    /// The array, if this value is one.
    public var arrayValue: [JSONValue]? {
        if case .array(let array) = self { return array }
        return nil
    }

    /// The string, if this value is one.
    public var stringValue: String? {
        if case .string(let string) = self { return string }
        return nil
    }

    /// The Boolean, if this value is one.
    public var boolValue: Bool? {
        if case .bool(let bool) = self { return bool }
        return nil
    }

    /// The integer, if this value is an integer or a double with no fractional part.
    public var integerValue: Int64? {
        switch self {
        case .integer(let value): return value
        case .double(let value) where value.rounded() == value && abs(value) < 9.2e18: return Int64(value)
        default: return nil
        }
    }

    /// The number as a double, if this value is a number.
    public var doubleValue: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .double(let value): return value
        default: return nil
        }
    }

    /// Whether this value is `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The member `key` of an object; `nil` for a missing key or a value that is not an object.
    public subscript(key: String) -> JSONValue? {
        get { objectValue?[key] }
        set {
            guard case .object(var object) = self else { return }
            object[key] = newValue
            self = .object(object)
        }
    }

    /// The value at a path of object keys, e.g. `["metadata", "name"]`.
    public subscript(path path: [String]) -> JSONValue? {
        var current: JSONValue? = self
        for key in path {
            current = current?[key]
        }
        return current
    }

    /// Sets the value at a path of object keys, creating intermediate objects as needed.
    ///
    /// Passing `nil` removes the last key. An intermediate value that is not an object is replaced.
    public mutating func set(path: [String], to value: JSONValue?) {
        guard let first = path.first else {
            self = value ?? .null
            return
        }
        var object = objectValue ?? JSONObject()
        if path.count == 1 {
            object[first] = value
        } else {
            var child = object[first] ?? .object(JSONObject())
            if child.objectValue == nil { child = .object(JSONObject()) }
            child.set(path: Array(path.dropFirst()), to: value)
            object[first] = child
        }
        self = .object(object)
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByNilLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements))
    }
}

extension JSONValue: CustomStringConvertible {
    /// The compact JSON text of this value.
    public var description: String { JSONSerializer.string(self) }
}

extension JSONValue {
    /// Semantic equality for comparing manifests: objects compare without regard to key order and
    /// an integer equals a double of the same value.
    public func semanticallyEquals(_ other: JSONValue) -> Bool {
        switch (self, other) {
        case (.object(let lhs), .object(let rhs)):
            guard lhs.count == rhs.count else { return false }
            for (key, value) in lhs {
                guard let otherValue = rhs[key], value.semanticallyEquals(otherValue) else { return false }
            }
            return true
        case (.array(let lhs), .array(let rhs)):
            guard lhs.count == rhs.count else { return false }
            return zip(lhs, rhs).allSatisfy { $0.semanticallyEquals($1) }
        case (.integer, .double), (.double, .integer), (.double, .double):
            return doubleValue == other.doubleValue
        default:
            return self == other
        }
    }
}
