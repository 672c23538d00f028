import Foundation
import KubeCore
import Synchronization

/// An object as stored: its JSON and its serialised bytes, written once per change so lists and watches
/// concatenate bytes instead of re-serialising.
struct StoredObject: Sendable {
    var value: JSONValue
    var bytes: [UInt8]

    init(_ value: JSONValue) {
        self.value = value
        self.bytes = JSONSerializer.bytes(value)
    }

    var resourceVersion: Int64 { Int64(value[path: ["metadata", "resourceVersion"]]?.stringValue ?? "") ?? 0 }
}

/// One change, kept in the bounded history that watches resume from.
struct ChangeEvent: Sendable {
    var type: String
    var typeKey: String
    var namespace: String
    var object: StoredObject
    var resourceVersion: Int64
}

/// What a watch stream carries.
enum WatchMessage: Sendable {
    case event(type: String, object: StoredObject)
    case bookmark(resourceVersion: Int64, initialEventsEnd: Bool)
    case error(APIError)
}

/// The in-memory store: every object of every kind, one global monotonic resourceVersion, a bounded history of
/// changes and the registered watchers.
///
/// All state sits behind one `Mutex`; writers never wait for watchers (each watcher has a bounded buffer and is
/// closed when it overflows, as the real API server closes slow watchers).
final class ObjectStore: Sendable {
    struct Watcher {
        var typeKey: String
        var namespace: String?
        var filter: ObjectFilter
        var continuation: AsyncStream<WatchMessage>.Continuation
    }

    struct State {
        var resourceVersion: Int64 = 0
        /// Served types by "group/version/plural".
        var types: [String: ResourceType] = [:]
        /// Objects by type key ("group/plural"), then by "namespace/name".
        var objects: [String: [String: StoredObject]] = [:]
        var history: [ChangeEvent] = []
        var watchers: [Int: Watcher] = [:]
        var nextWatcherID = 0
        var crdTypes: [String: [ResourceType]] = [:]
        var closed = false
    }

    let state: Mutex<State>
    let historyLimit: Int
    let watchBufferSize: Int

    /// - Parameters:
    ///   - historyLimit: how many recent changes a watch can resume from; older resourceVersions get 410 Gone.
    ///   - watchBufferSize: how many undelivered events one watcher may hold before it is closed.
    init(historyLimit: Int, watchBufferSize: Int) {
        self.historyLimit = max(1, historyLimit)
        self.watchBufferSize = max(16, watchBufferSize)
        var initial = State()
        for type in ResourceType.builtIns {
            initial.types["\(type.group)/\(type.version)/\(type.plural)"] = type
        }
        state = Mutex(initial)
    }

    // MARK: Types

    func allTypes() -> [ResourceType] {
        state.withLock { Array($0.types.values) }
    }

    func type(group: String, version: String, plural: String) -> ResourceType? {
        state.withLock { $0.types["\(group)/\(version)/\(plural)"] }
    }

    // MARK: Reads

    static func objectKey(_ namespace: String?, _ name: String) -> String { "\(namespace ?? "")/\(name)" }

    func get(_ type: ResourceType, namespace: String?, name: String) throws(APIError) -> StoredObject {
        let found = state.withLock { $0.objects[type.key]?[Self.objectKey(namespace, name)] }
        guard let found else { throw .notFound(type, name) }
        return found
    }

    /// A page of a list, sorted by namespace and name.
    struct ListPage {
        var items: [StoredObject]
        var resourceVersion: Int64
        var continueToken: String?
        var remaining: Int?
    }

    func list(
        _ type: ResourceType, namespace: String?, filter: ObjectFilter, limit: Int?, continueAfter: String?
    ) -> ListPage {
        let (all, resourceVersion) = state.withLock { state in
            (state.objects[type.key] ?? [:], state.resourceVersion)
        }
        var keys = all.keys.filter { key in
            guard let namespace else { return true }
            return key.hasPrefix(namespace + "/")
        }
        keys.sort()
        if let continueAfter {
            let start = keys.partitionPoint { $0 <= continueAfter }
            keys = Array(keys[start...])
        }
        var items: [StoredObject] = []
        var lastKey: String?
        var index = 0
        while index < keys.count {
            if let limit, limit > 0, items.count >= limit { break }
            if let object = all[keys[index]], filter.matches(object.value) {
                items.append(object)
            }
            lastKey = keys[index]
            index += 1
        }
        let more = index < keys.count
        return ListPage(
            items: items, resourceVersion: resourceVersion, continueToken: more ? lastKey : nil,
            remaining: more ? keys.count - index : nil)
    }

    // MARK: Writes

    /// Records a change under the lock: bumps nothing, appends to history and notifies watchers.
    static func record(_ event: ChangeEvent, in state: inout State, historyLimit: Int) {
        state.history.append(event)
        if state.history.count > 2 * historyLimit {
            state.history.removeFirst(state.history.count - historyLimit)
        }
        var overflowed: [Int] = []
        for (id, watcher) in state.watchers where watcher.typeKey == event.typeKey {
            if let namespace = watcher.namespace, namespace != event.namespace { continue }
            guard watcher.filter.matches(event.object.value) else { continue }
            if case .dropped = watcher.continuation.yield(.event(type: event.type, object: event.object)) {
                overflowed.append(id)
            }
        }
        for id in overflowed {
            state.watchers.removeValue(forKey: id)?.continuation.finish()
        }
    }

    /// Stores `object` (already prepared) under a new resourceVersion and records the change.
    func commit(
        _ type: ResourceType, namespace: String?, name: String, eventType: String, state: inout State,
        build: (Int64) -> JSONValue
    ) -> StoredObject {
        state.resourceVersion += 1
        let rv = state.resourceVersion
        let stored = StoredObject(build(rv))
        let key = Self.objectKey(namespace, name)
        if eventType == "DELETED" {
            state.objects[type.key]?[key] = nil
        } else {
            state.objects[type.key, default: [:]][key] = stored
        }
        Self.record(
            ChangeEvent(
                type: eventType, typeKey: type.key, namespace: namespace ?? "", object: stored, resourceVersion: rv),
            in: &state, historyLimit: historyLimit)
        return stored
    }

    // MARK: Watch

    /// Registers a watcher and replays history after `resourceVersion` (or the current state when it is nil/0).
    ///
    /// - Throws: `410 Expired` when `resourceVersion` is older than the kept history.
    func watch(
        _ type: ResourceType, namespace: String?, filter: ObjectFilter, resourceVersion: Int64?
    ) throws(APIError) -> (id: Int, stream: AsyncStream<WatchMessage>) {
        let (stream, continuation) = AsyncStream<WatchMessage>.makeStream(
            bufferingPolicy: .bufferingOldest(watchBufferSize + historyLimit))
        let result: Result<Int, APIError> = state.withLock { state in
            if state.closed {
                continuation.finish()
                return .success(-1)
            }
            func visible(_ object: JSONValue, _ objectNamespace: String) -> Bool {
                if let namespace, namespace != objectNamespace { return false }
                return filter.matches(object)
            }
            if let resourceVersion, resourceVersion > 0 {
                let window = state.history.suffix(historyLimit)
                let oldest = window.first?.resourceVersion ?? (state.resourceVersion + 1)
                if resourceVersion < oldest - 1 {
                    return .failure(.gone("too old resource version: \(resourceVersion) (\(oldest - 1))"))
                }
                for event in window
                where event.resourceVersion > resourceVersion && event.typeKey == type.key
                    && visible(event.object.value, event.namespace)
                {
                    continuation.yield(.event(type: event.type, object: event.object))
                }
            } else {
                let objects = (state.objects[type.key] ?? [:]).sorted { $0.key < $1.key }
                for (_, object) in objects where visible(object.value, ObjectMeta.namespace(object.value)) {
                    continuation.yield(.event(type: "ADDED", object: object))
                }
            }
            let id = state.nextWatcherID
            state.nextWatcherID += 1
            state.watchers[id] = Watcher(
                typeKey: type.key, namespace: namespace, filter: filter, continuation: continuation)
            return .success(id)
        }
        switch result {
        case .success(let id): return (id, stream)
        case .failure(let error): throw error
        }
    }

    /// Ends one watcher's stream.
    func stopWatch(_ id: Int) {
        let watcher = state.withLock { $0.watchers.removeValue(forKey: id) }
        watcher?.continuation.finish()
    }

    /// Sends a bookmark with the current resourceVersion to one watcher.
    func bookmark(_ id: Int, initialEventsEnd: Bool = false) {
        state.withLock { state in
            _ = state.watchers[id]?.continuation.yield(
                .bookmark(resourceVersion: state.resourceVersion, initialEventsEnd: initialEventsEnd))
        }
    }

    /// Ends every watch; used on shutdown so in-flight watch responses complete.
    func close() {
        let watchers = state.withLock { state in
            state.closed = true
            let all = state.watchers
            state.watchers = [:]
            return all
        }
        for watcher in watchers.values { watcher.continuation.finish() }
    }
}

extension Array {
    /// The index of the first element for which `belongsInSecondPartition` is true (the array must be partitioned).
    func partitionPoint(_ belongsInFirstPartition: (Element) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let mid = (low + high) / 2
            if belongsInFirstPartition(self[mid]) { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
