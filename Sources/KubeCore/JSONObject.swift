/// A JSON object that keeps its keys in insertion order.
///
/// Lookups go through a dictionary of indexes, so reading a key is O(1); removing a key is O(n),
/// which is fine for manifests, whose objects have a handful of keys.
public struct JSONObject: Sendable, Hashable, Sequence {
    public private(set) var keys: [String]
    private var values: [JSONValue]
    private var index: [String: Int]

    /// An empty object.
    public init() {
        keys = []
        values = []
        index = [:]
    }

    /// An object with these members, in this order; a later duplicate key replaces the earlier value.
    public init(_ members: some Sequence<(String, JSONValue)>) {
        self.init()
        for (key, value) in members {
            self[key] = value
        }
    }

    /// The number of members.
    public var count: Int { keys.count }

    /// Whether the object has no members.
    public var isEmpty: Bool { keys.isEmpty }

    /// The value for `key`; setting `nil` removes the key, setting an existing key keeps its position.
    public subscript(key: String) -> JSONValue? {
        get {
            guard let position = index[key] else { return nil }
            return values[position]
        }
        set {
            if let position = index[key] {
                if let newValue {
                    values[position] = newValue
                } else {
                    keys.remove(at: position)
                    values.remove(at: position)
                    index[key] = nil
                    for shifted in position..<keys.count {
                        index[keys[shifted]] = shifted
                    }
                }
            } else if let newValue {
                index[key] = keys.count
                keys.append(key)
                values.append(newValue)
            }
        }
    }

    /// The members in order.
    public func makeIterator() -> some IteratorProtocol<(key: String, value: JSONValue)> {
        zip(keys, values).lazy.map { (key: $0.0, value: $0.1) }.makeIterator()
    }

    /// The values in key order.
    public var orderedValues: [JSONValue] { values }

    /// A copy with the keys sorted by their UTF-8 bytes, as Go's `encoding/json` writes maps.
    public func sortedByKey() -> JSONObject {
        JSONObject(zip(keys, values).sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) })
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.keys == rhs.keys && lhs.values == rhs.values
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(keys)
        hasher.combine(values)
    }
}
