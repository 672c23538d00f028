@testable import ControllerRuntime
import KubeCore
import Logging
import Synchronization
import Testing

/// A list of fixed items, then one watch stream the test feeds.
private final class ScriptedSource: ListWatchSource, Sendable {
    let resourceDescription = "v1/configmaps"
    let items: [JSONValue]
    let stream: AsyncThrowingStream<WatchEvent, any Error>
    let continuation: AsyncThrowingStream<WatchEvent, any Error>.Continuation

    init(items: [JSONValue]) {
        self.items = items
        (stream, continuation) = AsyncThrowingStream.makeStream(bufferingPolicy: .bufferingNewest(100))
    }

    func list(continueToken: String?) async throws -> ListPage {
        ListPage(items: items, continueToken: nil, resourceVersion: "10")
    }

    func watch(resourceVersion: String) async throws -> any AsyncSequence<WatchEvent, any Error> { stream }
}

/// A ConfigMap as an API server returns it, with a managedFields entry.
private func configMap(_ name: String, rv: String, value: String) -> JSONValue {
    [
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": [
            "name": .string(name), "namespace": "default", "uid": .string("uid-\(name)"),
            "resourceVersion": .string(rv), "generation": 3, "labels": ["app": "web"],
            "annotations": ["reconcile.petrel.dev/requestedAt": "now"],
            "managedFields": [
                [
                    "manager": "kubectl", "operation": "Apply", "apiVersion": "v1", "time": "2026-11-23T10:00:00Z",
                    "fieldsType": "FieldsV1", "fieldsV1": ["f:data": ["f:key": [:]]],
                ]
            ],
        ],
        "data": ["key": .string(value)],
        "binaryData": [:],
        "immutable": false,
        "weight": 2.0,
    ]
}

/// The same object without `metadata.managedFields`, written out by hand (not with the code under test).
private func withoutManagedFields(_ name: String, rv: String, value: String) -> JSONValue {
    [
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": [
            "name": .string(name), "namespace": "default", "uid": .string("uid-\(name)"),
            "resourceVersion": .string(rv), "generation": 3, "labels": ["app": "web"],
            "annotations": ["reconcile.petrel.dev/requestedAt": "now"],
        ],
        "data": ["key": .string(value)],
        "binaryData": [:],
        "immutable": false,
        "weight": 2.0,
    ]
}

@Suite("Informer transforms and the compact store")
struct InformerTransformTests {
    @Test("stripManagedFields removes metadata.managedFields and keeps every other field, in order")
    func stripManagedFields() throws {
        let stripped = Informer.stripManagedFields(configMap("a", rv: "1", value: "x"))
        #expect(stripped == withoutManagedFields("a", rv: "1", value: "x"))
        #expect(stripped[path: ["metadata", "managedFields"]] == nil)
        let keys = try #require(stripped["metadata"]?.objectValue).keys
        #expect(keys == ["name", "namespace", "uid", "resourceVersion", "generation", "labels", "annotations"])
        let plain: JSONValue = ["kind": "Status", "code": 410]
        #expect(Informer.stripManagedFields(plain) == plain, "objects without managedFields pass unchanged")
    }

    @Test("by default an informer drops managedFields on the list and the watch paths; handlers see the rest")
    func defaultStripsOnListAndWatch() async throws {
        let source = ScriptedSource(items: [configMap("a", rv: "1", value: "listed")])
        let informer = Informer(source: source, logger: Logger(label: "test"))
        let seen = Mutex<[StoreChange]>([])
        informer.addHandler { change in seen.withLock { $0.append(change) } }
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await informer.run() }
            await informer.waitUntilReady()
            #expect(informer.store.get(ObjectKey(namespace: "default", name: "a")) == withoutManagedFields("a", rv: "1", value: "listed"))
            source.continuation.yield(WatchEvent(type: .modified, object: configMap("a", rv: "2", value: "watched")))
            source.continuation.yield(WatchEvent(type: .added, object: configMap("b", rv: "3", value: "added")))
            source.continuation.yield(WatchEvent(type: .deleted, object: configMap("b", rv: "4", value: "added")))
            #expect(await eventually { seen.withLock { $0.count } == 4 })
            let changes = seen.withLock { $0 }
            #expect(
                changes == [
                    .applied(ObjectKey(namespace: "default", name: "a"), old: nil, new: withoutManagedFields("a", rv: "1", value: "listed")),
                    .applied(
                        ObjectKey(namespace: "default", name: "a"), old: withoutManagedFields("a", rv: "1", value: "listed"),
                        new: withoutManagedFields("a", rv: "2", value: "watched")),
                    .applied(ObjectKey(namespace: "default", name: "b"), old: nil, new: withoutManagedFields("b", rv: "3", value: "added")),
                    .deleted(ObjectKey(namespace: "default", name: "b"), withoutManagedFields("b", rv: "3", value: "added")),
                ])
            #expect(informer.store.list() == [withoutManagedFields("a", rv: "2", value: "watched")])
            group.cancelAll()
        }
    }

    @Test("a custom transform runs on listed and on watched objects, and nil keeps objects as sent")
    func customTransform() async throws {
        let source = ScriptedSource(items: [configMap("a", rv: "1", value: "listed")])
        let calls = Mutex(0)
        let informer = Informer(
            source: source,
            transform: { object in
                calls.withLock { $0 += 1 }
                var object = object
                object.set(path: ["metadata", "labels", "transformed"], to: "yes")
                return object
            }, logger: Logger(label: "test"))
        let untouched = Informer(source: ScriptedSource(items: [configMap("a", rv: "1", value: "listed")]), transform: nil, logger: Logger(label: "test"))
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await informer.run() }
            group.addTask { await untouched.run() }
            await informer.waitUntilReady()
            await untouched.waitUntilReady()
            let a = ObjectKey(namespace: "default", name: "a")
            #expect(informer.store.get(a)?[path: ["metadata", "labels", "transformed"]] == "yes", "list path")
            source.continuation.yield(WatchEvent(type: .bookmark, object: ["kind": "ConfigMap", "metadata": ["resourceVersion": "5"]]))
            source.continuation.yield(WatchEvent(type: .added, object: configMap("b", rv: "6", value: "watched")))
            let b = ObjectKey(namespace: "default", name: "b")
            #expect(await eventually { informer.store.get(b) != nil })
            #expect(informer.store.get(b)?[path: ["metadata", "labels", "transformed"]] == "yes", "watch path")
            #expect(calls.withLock { $0 } == 2, "once per listed or watched object; bookmarks carry none")
            #expect(untouched.store.get(a) == configMap("a", rv: "1", value: "listed"))
            group.cancelAll()
        }
    }

    @Test("the compact form round-trips exactly: key order, integer versus double, strings of every kind")
    func compactRoundTrip() throws {
        var big = JSONObject()
        for index in (0..<40).reversed() { big["k\(index)"] = .integer(Int64(index) * 1_000_003) }
        let values: [JSONValue] = [
            .null, true, false, 0, -1, .integer(.max), .integer(.min), 2.0, -0.0, 1.5e300, 0.1,
            "", "plain", "quote \" backslash \\ newline \n tab \t nul \u{0}", "é ☃ 🦅 \u{7F}",
            .string(String(repeating: "x", count: 1_000)), [], [:], [1, "two", [3.0], ["four": nil]],
            .object(big), configMap("a", rv: "1", value: "v"),
        ]
        for value in values {
            let decoded = CompactJSON.decode(CompactJSON.encode(value))
            #expect(decoded == value)
        }
        let two = try #require(CompactJSON.decode(CompactJSON.encode(2.0)))
        #expect(two == .double(2.0) && two != .integer(2), "a whole double stays a double")
    }

    @Test("corrupt or truncated compact bytes decode to nil, not to a wrong value or a crash")
    func compactRejectsCorruption() {
        let bytes = CompactJSON.encode(configMap("a", rv: "1", value: "value"))
        for length in [0, 1, bytes.count / 2, bytes.count - 1] {
            #expect(CompactJSON.decode(Array(bytes.prefix(length))) == nil, "truncated to \(length)")
        }
        #expect(CompactJSON.decode(bytes + [0]) == nil, "trailing bytes")
        #expect(CompactJSON.decode([0xFF]) == nil, "unknown tag")
        #expect(CompactJSON.decode([5, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]) == nil, "huge length")
        #expect(CompactJSON.decode([5, 2, 0xC3, 0x28]) == "\u{FFFD}(", "invalid UTF-8 is repaired, not trusted")
        #expect(CompactJSON.decode(Array(repeating: 6, count: 10_000) + [1, 0]) == nil, "nesting beyond the bound")
        let a = UInt8(ascii: "a")
        #expect(CompactJSON.decode([7, 2, 1, a, 0, 1, a, 1]) == nil, "an object with a repeated key")
    }

    @Test("the store hands back exactly what was stored and reports only changed objects on a relist")
    func storeRoundTrip() {
        let store = Store()
        store.apply(.initStarted)
        store.apply(.initPage([configMap("a", rv: "1", value: "x"), configMap("b", rv: "2", value: "y")]))
        let changes = store.apply(.initDone)
        #expect(Set(changes.map(\.key.name)) == ["a", "b"])
        #expect(store.get(ObjectKey(namespace: "default", name: "a")) == configMap("a", rv: "1", value: "x"))
        #expect(store.list() == [configMap("a", rv: "1", value: "x"), configMap("b", rv: "2", value: "y")])
        store.apply(.initStarted)
        store.apply(.initPage([configMap("a", rv: "1", value: "x"), configMap("b", rv: "3", value: "z")]))
        let relist = store.apply(.initDone)
        #expect(
            relist == [
                .applied(
                    ObjectKey(namespace: "default", name: "b"), old: configMap("b", rv: "2", value: "y"),
                    new: configMap("b", rv: "3", value: "z"))
            ], "an unchanged object is not reported again")
    }
}
