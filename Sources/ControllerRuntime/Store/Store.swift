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
package final class Store: Sendable {
    private struct State {
        var objects: [ObjectKey: JSONValue] = [:]
        var indexes: [String: [String: Set<ObjectKey>]] = [:]
        var buffer: [ObjectKey: JSONValue]?
        var ready = false
        var indexFunctions: [String: IndexFunction] = [:]
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

    /// Applies one event from the watcher. Returns the keys whose objects changed (for the event handlers).
    @discardableResult
    package func apply(_ event: WatcherEvent) -> [StoreChange] {
        state.withLock { state in
            switch event {
            case .initStarted:
                state.buffer = [:]
                return []
            case .initPage(let objects):
                for object in objects {
                    guard let key = ObjectKey(of: object) else { continue }
                    state.buffer?[key] = object
                }
                return []
            case .initDone:
                let fresh = state.buffer ?? [:]
                state.buffer = nil
                var changes: [StoreChange] = []
                for (key, old) in state.objects where fresh[key] == nil {
                    changes.append(.deleted(key, old))
                }
                for (key, object) in fresh where state.objects[key] != object {
                    changes.append(.applied(key, old: state.objects[key], new: object))
                }
                state.objects = fresh
                rebuildIndexes(&state)
                state.ready = true
                return changes
            case .applied(let object):
                guard let key = ObjectKey(of: object) else { return [] }
                let old = state.objects[key]
                state.objects[key] = object
                reindex(&state, key: key, old: old, new: object)
                return [.applied(key, old: old, new: object)]
            case .deleted(let object):
                guard let key = ObjectKey(of: object) else { return [] }
                let old = state.objects.removeValue(forKey: key)
                reindex(&state, key: key, old: old, new: nil)
                return [.deleted(key, old ?? object)]
            }
        }
    }

    private func rebuildIndexes(_ state: inout State) {
        for name in state.indexFunctions.keys { state.indexes[name] = [:] }
        for (key, object) in state.objects {
            reindex(&state, key: key, old: nil, new: object)
        }
    }

    private func reindex(_ state: inout State, key: ObjectKey, old: JSONValue?, new: JSONValue?) {
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
    package func get(_ key: ObjectKey) -> JSONValue? { state.withLock { $0.objects[key] } }

    /// Every object, sorted by key.
    package func list() -> [JSONValue] {
        state.withLock { state in state.objects.sorted { $0.key < $1.key }.map(\.value) }
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
