/// A JSON object that keeps its keys in insertion order.
///
/// Small objects (at most ``indexThreshold`` keys, the common case in manifests) find a key by scanning their keys;
/// larger ones keep a dictionary of positions, so reading a key is O(1) for them too. Removing a key is O(n),
/// which is fine for manifests, whose objects have a handful of keys. Without a dictionary per small object, a
/// parsed Kubernetes object takes about a third less memory (what an informer cache of thousands of objects holds).
public struct JSONObject: Sendable, Hashable, Sequence {
    public private(set) var keys: [String]
    private var values: [JSONValue]
    /// Key → position; empty (no allocation) while the object has at most `indexThreshold` keys.
    private var index: [String: Int]

    /// Objects with more keys than this keep a dictionary of positions.
    static let indexThreshold = 8

    /// An empty object.
    public init() {
        keys = []
        values = []
        index = [:]
    }

    /// An object with these members, in this order; a later duplicate key replaces the earlier value.
    public init(_ members: some Sequence<(String, JSONValue)>) {
        self.init()
        let expected = members.underestimatedCount
        keys.reserveCapacity(expected)
        values.reserveCapacity(expected)
        for (key, value) in members {
            self[key] = value
        }
    }

    /// An object made of parallel arrays of keys and values (decoders that know their members' count build the
    /// arrays with exact capacity); `nil` if the counts differ or a key repeats.
    package init?(uniqueKeys keys: [String], values: [JSONValue]) {
        guard keys.count == values.count else { return nil }
        self.keys = keys
        self.values = values
        if keys.count > Self.indexThreshold {
            index = Dictionary(zip(keys, keys.indices), uniquingKeysWith: { first, _ in first })
            guard index.count == keys.count else { return nil }
        } else {
            index = [:]
            for position in keys.indices.dropFirst() where keys[..<position].contains(keys[position]) { return nil }
        }
    }

    /// The number of members.
    public var count: Int { keys.count }

    /// Whether the object has no members.
    public var isEmpty: Bool { keys.isEmpty }

    private func position(of key: String) -> Int? {
        if keys.count > Self.indexThreshold { return index[key] }
        return keys.firstIndex(of: key)
    }

    /// The value for `key`; setting `nil` removes the key, setting an existing key keeps its position.
    public subscript(key: String) -> JSONValue? {
        get {
            guard let position = position(of: key) else { return nil }
            return values[position]
        }
        set {
            if let position = position(of: key) {
                if let newValue {
                    values[position] = newValue
                } else {
                    keys.remove(at: position)
                    values.remove(at: position)
                    if keys.count > Self.indexThreshold {
                        index[key] = nil
                        for shifted in position..<keys.count {
                            index[keys[shifted]] = shifted
                        }
                    } else {
                        index = [:]
                    }
                }
            } else if let newValue {
                keys.append(key)
                values.append(newValue)
                if keys.count == Self.indexThreshold + 1 {
                    index = Dictionary(uniqueKeysWithValues: zip(keys, keys.indices))
                } else if keys.count > Self.indexThreshold {
                    index[key] = keys.count - 1
                }
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
