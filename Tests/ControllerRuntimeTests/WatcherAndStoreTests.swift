@testable import ControllerRuntime
import KubeCore
import Testing

private func configMap(_ name: String, rv: String, namespace: String = "default", source: String? = nil) -> JSONValue {
    var object: JSONValue = [
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": ["name": .string(name), "namespace": .string(namespace), "resourceVersion": .string(rv)],
    ]
    if let source { object.set(path: ["spec", "source"], to: .string(source)) }
    return object
}

@Suite("Watcher state machine")
struct WatcherStateMachineTests {
    @Test("lists every page, then watches from the list's resourceVersion")
    func listThenWatch() {
        var machine = WatcherStateMachine()
        #expect(machine.nextAction() == .list(continueToken: nil))
        let first = machine.listed(items: [configMap("a", rv: "1")], continueToken: "next", resourceVersion: "5")
        #expect(first == [.initStarted, .initPage([configMap("a", rv: "1")])])
        #expect(machine.nextAction() == .list(continueToken: "next"))
        let second = machine.listed(items: [configMap("b", rv: "2")], continueToken: nil, resourceVersion: "7")
        #expect(second == [.initPage([configMap("b", rv: "2")]), .initDone])
        #expect(machine.nextAction() == .watch(resourceVersion: "7"))
    }

    @Test("watch events advance the resourceVersion, bookmarks included, and a normal end resumes there")
    func resumesFromLastResourceVersion() {
        var machine = WatcherStateMachine()
        _ = machine.listed(items: [], continueToken: nil, resourceVersion: "10")
        #expect(machine.received(type: "ADDED", object: configMap("a", rv: "11")) == [.applied(configMap("a", rv: "11"))])
        #expect(machine.received(type: "DELETED", object: configMap("a", rv: "12")) == [.deleted(configMap("a", rv: "12"))])
        #expect(machine.received(type: "BOOKMARK", object: ["metadata": ["resourceVersion": "20"]]) == [])
        machine.watchEnded()
        #expect(machine.nextAction() == .watch(resourceVersion: "20"))
    }

    @Test("410 Gone, as a status or as an ERROR event, starts a relist")
    func goneRelists() {
        var machine = WatcherStateMachine()
        _ = machine.listed(items: [], continueToken: nil, resourceVersion: "10")
        _ = machine.received(type: "ERROR", object: ["kind": "Status", "code": 410, "reason": "Expired"])
        #expect(machine.nextAction() == .list(continueToken: nil))
        #expect(machine.relists == 1)
        _ = machine.listed(items: [], continueToken: nil, resourceVersion: "30")
        machine.gone()
        #expect(machine.nextAction() == .list(continueToken: nil))
        #expect(machine.relists == 2)
    }

    @Test("failures back off exponentially up to the maximum, then retry the same step")
    func backoff() {
        var machine = WatcherStateMachine()
        _ = machine.listed(items: [], continueToken: nil, resourceVersion: "10")
        var delays: [Duration] = []
        for _ in 0..<8 {
            machine.failed()
            if case .backoff(let delay) = machine.nextAction() { delays.append(delay) }
            #expect(machine.nextAction() == .watch(resourceVersion: "10"))
        }
        #expect(delays.prefix(4) == [.milliseconds(800), .milliseconds(1_600), .milliseconds(3_200), .milliseconds(6_400)])
        #expect(delays.last == .seconds(30))
    }

    @Test("a failure in the middle of a paginated list restarts the list from the beginning")
    func failedListRestarts() {
        var machine = WatcherStateMachine()
        _ = machine.listed(items: [configMap("a", rv: "1")], continueToken: "next", resourceVersion: "5")
        machine.failed()
        #expect(machine.nextAction() == .backoff(.milliseconds(800)))
        #expect(machine.nextAction() == .list(continueToken: nil))
        #expect(machine.listed(items: [], continueToken: nil, resourceVersion: "6").first == .initStarted)
    }
}

@Suite("Store")
struct StoreTests {
    @Test("a relist is swapped in whole and what it lacks counts as deleted")
    func relistSwap() {
        let store = Store()
        store.apply(.initStarted)
        store.apply(.initPage([configMap("a", rv: "1"), configMap("b", rv: "2")]))
        #expect(store.count == 0, "readers never see a half-done list")
        #expect(!store.isReady)
        store.apply(.initDone)
        #expect(store.count == 2)
        #expect(store.isReady)
        store.apply(.initStarted)
        store.apply(.initPage([configMap("b", rv: "3")]))
        let changes = store.apply(.initDone)
        #expect(store.list() == [configMap("b", rv: "3")])
        #expect(changes.map(\.key).sorted() == [ObjectKey(namespace: "default", name: "a"), ObjectKey(namespace: "default", name: "b")])
    }

    @Test("indexes follow applies and deletes")
    func indexes() {
        let store = Store(indexes: ["source": { object in object[path: ["spec", "source"]]?.stringValue.map { [$0] } ?? [] }])
        store.apply(.initStarted)
        store.apply(.initPage([configMap("a", rv: "1", source: "repo1"), configMap("b", rv: "1", source: "repo2")]))
        store.apply(.initDone)
        #expect(store.keys(index: "source", value: "repo1") == [ObjectKey(namespace: "default", name: "a")])
        store.apply(.applied(configMap("b", rv: "2", source: "repo1")))
        #expect(store.keys(index: "source", value: "repo1").map(\.name) == ["a", "b"])
        #expect(store.keys(index: "source", value: "repo2") == [])
        store.apply(.deleted(configMap("a", rv: "3", source: "repo1")))
        #expect(store.keys(index: "source", value: "repo1").map(\.name) == ["b"])
        #expect(store.get(ObjectKey(namespace: "default", name: "a")) == nil)
    }
}
