import KubeCore
import Synchronization

/// The namespace and name of an object: what a work queue carries.
package struct ObjectKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Empty for cluster-scoped objects.
    package var namespace: String
    package var name: String

    package init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    /// The key of an object's metadata; `nil` if it has no name.
    package init?(of object: JSONValue) {
        guard let name = object[path: ["metadata", "name"]]?.stringValue else { return nil }
        self.init(namespace: object[path: ["metadata", "namespace"]]?.stringValue ?? "", name: name)
    }

    package var description: String { namespace.isEmpty ? name : "\(namespace)/\(name)" }

    package static func < (lhs: ObjectKey, rhs: ObjectKey) -> Bool {
        (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name)
    }
}

/// An index function: the index values an object is filed under (e.g. the source a Kustomization references).
package typealias IndexFunction = @Sendable (JSONValue) -> [String]

/// An informer's cache: one writer (the informer), many readers with synchronous, consistent reads.
///
/// ## Guarantees
/// - A relist is buffered and swapped in whole at `initDone`, so readers never see half a list, and objects
///   missing from the relist are gone from the store.
/// - Named indexes are kept in step with every write.
/// - ``isReady`` turns true at the first `initDone` and stays true.
/// - Objects are kept in ``CompactJSON`` form (one byte array each, about a third of a parsed tree) and decoded on
///   each read; what a reader gets equals what was stored, key order and number kinds included.
package final class Store: Sendable {
    private struct State {
        var objects: [ObjectKey: StoredObject] = [:]
        var indexes: [String: [String: Set<ObjectKey>]] = [:]
        var buffer: [ObjectKey: StoredObject]?
        var ready = false
        var indexFunctions: [String: IndexFunction] = [:]
        /// One copy of each namespace name, shared by the keys (thousands of objects live in a few namespaces).
        var namespaces: Set<String> = []

        mutating func key(of object: JSONValue) -> ObjectKey? {
            guard var key = ObjectKey(of: object) else { return nil }
            if let shared = namespaces.firstIndex(of: key.namespace) {
                key.namespace = namespaces[shared]
            } else {
                namespaces.insert(key.namespace)
            }
            return key
        }
    }

    private let state = Mutex(State())

    /// Creates a store with named indexes.
    package init(indexes: [String: IndexFunction] = [:]) {
        state.withLock { state in
            state.indexFunctions = indexes
            for name in indexes.keys { state.indexes[name] = [:] }
        }
    }

    /// Adds a named index (a shared informer serves several controllers, each may bring its own). Objects already
    /// stored are indexed at once; adding a name twice replaces its function.
    package func addIndex(_ name: String, _ function: @escaping IndexFunction) {
        state.withLock { state in
            state.indexFunctions[name] = function
            rebuildIndexes(&state)
        }
    }

    /// Applies one event from the watcher. Returns the changes it made (for the event handlers).
    @discardableResult
    package func apply(_ event: WatcherEvent) -> [StoreChange] {
        applyDeferred(event).map { $0.change() }
    }

    /// Applies one event from the watcher. Returns the changes it made, each decoded only when asked for, so that
    /// the thousands of changes of a first list are never all decoded at once.
    package func applyDeferred(_ event: WatcherEvent) -> [DeferredStoreChange] {
        // Encode outside the lock, so readers do not wait for it.
        let encoded: [StoredObject]
        switch event {
        case .initPage(let objects): encoded = objects.map(StoredObject.init)
        case .applied(let object): encoded = [StoredObject(object)]
        default: encoded = []
        }
        return state.withLock { state in
            switch event {
            case .initStarted:
                state.buffer = [:]
                return []
            case .initPage(let objects):
                for (object, stored) in zip(objects, encoded) {
                    guard let key = state.key(of: object) else { continue }
                    state.buffer?[key] = stored
                }
                return []
            case .initDone:
                let fresh = state.buffer ?? [:]
                state.buffer = nil
                var changes: [DeferredStoreChange] = []
                for (key, old) in state.objects where fresh[key] == nil {
                    changes.append(DeferredStoreChange(key: key, old: old, new: nil))
                }
                for (key, object) in fresh {
                    let old = state.objects[key]
                    if old != object { changes.append(DeferredStoreChange(key: key, old: old, new: object)) }
                }
                state.objects = fresh
                rebuildIndexes(&state)
                state.ready = true
                return changes
            case .applied(let object):
                guard let key = state.key(of: object), let stored = encoded.first else { return [] }
                let old = state.objects.updateValue(stored, forKey: key)
                reindex(&state, key: key, old: old?.value, new: object)
                return [DeferredStoreChange(key: key, old: old, new: stored, newValue: object)]
            case .deleted(let object):
                guard let key = state.key(of: object) else { return [] }
                let old = state.objects.removeValue(forKey: key)
                reindex(&state, key: key, old: old?.value, new: nil)
                return [DeferredStoreChange(key: key, old: old, new: nil, deletedValue: object)]
            }
        }
    }

    private func rebuildIndexes(_ state: inout State) {
        for name in state.indexFunctions.keys { state.indexes[name] = [:] }
        guard !state.indexFunctions.isEmpty else { return }
        for (key, object) in state.objects {
            reindex(&state, key: key, old: nil, new: object.value)
        }
    }

    private func reindex(_ state: inout State, key: ObjectKey, old: @autoclosure () -> JSONValue?, new: JSONValue?) {
        guard !state.indexFunctions.isEmpty else { return }
        let old = old()
        for (name, function) in state.indexFunctions {
            if let old {
                for value in function(old) {
                    state.indexes[name]?[value]?.remove(key)
                    if state.indexes[name]?[value]?.isEmpty == true { state.indexes[name]?[value] = nil }
                }
            }
            if let new {
                for value in function(new) { state.indexes[name, default: [:]][value, default: []].insert(key) }
            }
        }
    }

    /// The object with this key.
    package func get(_ key: ObjectKey) -> JSONValue? { state.withLock { $0.objects[key] }?.value }

    /// Every object, sorted by key.
    package func list() -> [JSONValue] {
        let stored = state.withLock { state in state.objects.sorted { $0.key < $1.key }.map(\.value) }
        return stored.map(\.value)
    }

    /// The keys filed under `value` in the index `name`, sorted.
    package func keys(index name: String, value: String) -> [ObjectKey] {
        state.withLock { $0.indexes[name]?[value].map { $0.sorted() } ?? [] }
    }

    /// The number of objects.
    package var count: Int { state.withLock { $0.objects.count } }

    /// Whether the first full list has been stored.
    package var isReady: Bool { state.withLock { $0.ready } }
}

/// An object as a ``Store`` keeps it: its ``CompactJSON`` bytes.
struct StoredObject: Sendable, Equatable {
    let bytes: [UInt8]

    init(_ value: JSONValue) { bytes = CompactJSON.encode(value) }

    /// The decoded object (`null` only if the bytes were corrupted, which the store never does).
    var value: JSONValue { CompactJSON.decode(bytes) ?? .null }
}

/// A change a ``Store`` made, decoded into a ``StoreChange`` only when ``change()`` is called.
package struct DeferredStoreChange: Sendable {
    /// The key of the changed object.
    package let key: ObjectKey
    fileprivate let old: StoredObject?
    fileprivate let new: StoredObject?
    fileprivate var newValue: JSONValue?
    fileprivate var deletedValue: JSONValue?

    fileprivate init(
        key: ObjectKey, old: StoredObject?, new: StoredObject?, newValue: JSONValue? = nil,
        deletedValue: JSONValue? = nil
    ) {
        self.key = key
        self.old = old
        self.new = new
        self.newValue = newValue
        self.deletedValue = deletedValue
    }

    /// The change, with its objects decoded.
    package func change() -> StoreChange {
        if let new {
            return .applied(key, old: old?.value, new: newValue ?? new.value)
        }
        return .deleted(key, old?.value ?? deletedValue ?? .null)
    }
}

/// A change the store made, for event handlers.
package enum StoreChange: Sendable, Equatable {
    case applied(ObjectKey, old: JSONValue?, new: JSONValue)
    case deleted(ObjectKey, JSONValue)

    /// The key of the changed object.
    package var key: ObjectKey {
        switch self {
        case .applied(let key, _, _), .deleted(let key, _): return key
        }
    }
}
