import KubeCore

/// What a watcher tells its store: a relist is delivered as `initStarted`, pages, then `initDone`, so the store can
/// swap its contents at once and count anything missing from the relist as deleted.
package enum WatcherEvent: Sendable, Equatable {
    /// A (re)list began; buffer what follows until ``initDone``.
    case initStarted
    /// Objects from one page of the list.
    case initPage([JSONValue])
    /// The list is complete: replace the store with the buffered objects.
    case initDone
    /// An object was added or changed.
    case applied(JSONValue)
    /// An object was deleted (the object as last seen).
    case deleted(JSONValue)
}

/// The list-then-watch state machine of an informer, as an explicit value (kube-rs `watcher` style).
///
/// The owner asks ``nextAction()`` what IO to do, performs it, and feeds the outcome back; the machine answers with
/// the events for the store. It does no IO and reads no clock, so every transition is unit-tested.
///
/// States: `empty` → `listing` (pages, following `continue`) → `watching(resourceVersion)`. A watch that ends
/// normally resumes from the last resourceVersion; `410 Gone` (or an ERROR event with code 410) starts a relist;
/// other failures back off with jitter-free exponential delays (the owner adds jitter) and retry the same step.
package struct WatcherStateMachine: Sendable {
    package enum State: Sendable, Equatable {
        case empty
        case listing(continueToken: String?)
        case watching(resourceVersion: String)
    }

    /// The IO the owner should perform next.
    package enum Action: Sendable, Equatable {
        /// List one page, continuing from `continueToken` when set.
        case list(continueToken: String?)
        /// Watch from `resourceVersion`.
        case watch(resourceVersion: String)
        /// Wait this long, then ask again.
        case backoff(Duration)
    }

    package private(set) var state: State = .empty
    private var pendingBackoff: Duration?
    private var consecutiveFailures = 0
    /// The first retry delay after a failure. Default 800 ms (client-go's reflector backoff starts there).
    package var initialBackoff: Duration = .milliseconds(800)
    /// The longest retry delay. Default 30 s.
    package var maximumBackoff: Duration = .seconds(30)
    /// How many relists were started after the first list (a metric).
    package private(set) var relists = 0

    package init() {}

    /// The next IO to perform.
    package mutating func nextAction() -> Action {
        if let delay = pendingBackoff {
            pendingBackoff = nil
            return .backoff(delay)
        }
        switch state {
        case .empty: return .list(continueToken: nil)
        case .listing(let token): return .list(continueToken: token)
        case .watching(let resourceVersion): return .watch(resourceVersion: resourceVersion)
        }
    }

    /// A list page arrived. Returns the events for the store.
    package mutating func listed(items: [JSONValue], continueToken: String?, resourceVersion: String) -> [WatcherEvent] {
        consecutiveFailures = 0
        var events: [WatcherEvent] = []
        if case .empty = state { events.append(.initStarted) }
        events.append(.initPage(items))
        if let continueToken, !continueToken.isEmpty {
            state = .listing(continueToken: continueToken)
        } else {
            events.append(.initDone)
            state = .watching(resourceVersion: resourceVersion)
        }
        return events
    }

    /// A watch event arrived (`type` is ADDED, MODIFIED, DELETED, BOOKMARK or ERROR).
    package mutating func received(type: String, object: JSONValue) -> [WatcherEvent] {
        guard case .watching = state else { return [] }
        consecutiveFailures = 0
        let resourceVersion = object[path: ["metadata", "resourceVersion"]]?.stringValue
        switch type {
        case "ADDED", "MODIFIED":
            if let resourceVersion { state = .watching(resourceVersion: resourceVersion) }
            return [.applied(object)]
        case "DELETED":
            if let resourceVersion { state = .watching(resourceVersion: resourceVersion) }
            return [.deleted(object)]
        case "BOOKMARK":
            if let resourceVersion { state = .watching(resourceVersion: resourceVersion) }
            return []
        case "ERROR":
            if object["code"]?.integerValue == 410 {
                startRelist()
            } else {
                failed()
            }
            return []
        default:
            return []
        }
    }

    /// The watch stream ended without error (the server's timeout): resume from the last resourceVersion.
    package mutating func watchEnded() {}

    /// The server answered `410 Gone` to a list continuation or a watch: start over with a full list.
    package mutating func gone() {
        startRelist()
    }

    /// A request failed for another reason (transport, 5xx, 429): back off and retry the same step.
    package mutating func failed() {
        consecutiveFailures += 1
        let exponent = min(consecutiveFailures - 1, 10)
        let delay = initialBackoff * Double(1 << exponent)
        pendingBackoff = delay < maximumBackoff ? delay : maximumBackoff
        if case .listing = state {
            // A half-read list cannot be resumed safely after a failure: start it again.
            state = .empty
        }
    }

    private mutating func startRelist() {
        relists += 1
        state = .empty
    }
}
