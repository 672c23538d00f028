/// How urgent a queued key is (controller-runtime's priority queue, reduced to two lanes).
///
/// - ``high``: something happened — a watch event on the controller's kind that passed its predicates, a mapped
///   event of a secondary kind (a source's new artifact), a reconcile request annotation.
/// - ``low``: nothing is known to have changed — a timer (`requeueAfter`, the periodic drift check, a dependency
///   wait) or the informer's initial list.
package enum WorkPriority: Int, Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    case low = 0
    case high = 1

    package static func < (lhs: WorkPriority, rhs: WorkPriority) -> Bool { lhs.rawValue < rhs.rawValue }

    package var description: String {
        switch self {
        case .low: "low"
        case .high: "high"
        }
    }
}

/// The keys ready to be handed out, in two FIFO lanes: a pure value, no clock and no IO, owned by ``WorkQueue``.
///
/// ## Guarantees
/// - A key is held once. Inserting a held LOW key as HIGH moves it to the back of the HIGH lane (an upgrade, as
///   if it had just arrived); inserting a held HIGH key as LOW changes nothing.
/// - ``popFirst()`` returns the oldest HIGH key before any LOW key, FIFO within a lane — except that after
///   `highBurst` HIGH keys in a row handed out while LOW keys were waiting, the oldest LOW key goes next, so a
///   steady stream of events cannot starve the drift checks. `highBurst == nil` is strict priority
///   (controller-runtime's behaviour).
///
/// ## Caveats
/// An upgrade leaves a stale entry in the LOW lane, skipped (and eventually compacted away) when popped.
package struct PriorityLanes<Key: Hashable & Sendable>: Sendable {
    private struct Lane: Sendable {
        var entries: [(key: Key, ticket: UInt64)] = []
        var head = 0
        /// Live keys in the lane (entries past `head` minus stale ones).
        var count = 0
    }

    /// At most this many HIGH keys in a row while LOW keys wait; `nil` means no limit.
    package let highBurst: Int?
    private var held: [Key: (priority: WorkPriority, ticket: UInt64)] = [:]
    private var high = Lane()
    private var low = Lane()
    private var nextTicket: UInt64 = 0
    private var highStreak = 0

    /// Creates empty lanes.
    /// - Parameter highBurst: how many HIGH keys may be handed out in a row while LOW keys wait before one LOW key
    ///   goes first; values below 1 count as 1. `nil`: strict priority. Default 20 (LOW keys get at least 1 in 21
    ///   turns while both lanes are busy).
    package init(highBurst: Int? = 20) {
        self.highBurst = highBurst.map { max(1, $0) }
    }

    /// What ``insert(_:priority:)`` did.
    package enum Insertion: Sendable, Equatable {
        /// The key was not held and is now at the back of its lane.
        case queued
        /// The key was held as LOW and is now at the back of the HIGH lane.
        case upgraded
        /// The key was already held at this or a higher priority.
        case unchanged
    }

    /// Holds `key` at `priority`, or raises the priority of a held key.
    @discardableResult
    package mutating func insert(_ key: Key, priority: WorkPriority) -> Insertion {
        if let current = held[key] {
            guard priority > current.priority else { return .unchanged }
            lanes(current.priority) { $0.count -= 1 }
            append(key, priority: priority)
            return .upgraded
        }
        append(key, priority: priority)
        return .queued
    }

    /// Takes the next key: the oldest HIGH key, unless LOW keys are owed a turn (see `highBurst`).
    package mutating func popFirst() -> (key: Key, priority: WorkPriority)? {
        let lowWaiting = low.count > 0
        let lowOwed = lowWaiting && highBurst.map { highStreak >= $0 } == true
        let priority: WorkPriority
        if high.count > 0, !lowOwed {
            priority = .high
            highStreak = lowWaiting ? highStreak + 1 : 0
        } else if lowWaiting {
            priority = .low
            highStreak = 0
        } else {
            return nil
        }
        let key: Key?
        switch priority {
        case .high: key = Self.pop(&high, held: &held)
        case .low: key = Self.pop(&low, held: &held)
        }
        return key.map { ($0, priority) }
    }

    /// The oldest live key of `lane`, skipping entries an upgrade left behind.
    private static func pop(_ lane: inout Lane, held: inout [Key: (priority: WorkPriority, ticket: UInt64)]) -> Key? {
        while lane.head < lane.entries.count {
            let entry = lane.entries[lane.head]
            lane.head += 1
            guard let current = held[entry.key], current.ticket == entry.ticket else { continue }
            held[entry.key] = nil
            lane.count -= 1
            compact(&lane)
            return entry.key
        }
        return nil
    }

    /// The priority `key` is held at, or `nil` if it is not held.
    package func priority(of key: Key) -> WorkPriority? { held[key]?.priority }

    /// Whether `key` is held.
    package func contains(_ key: Key) -> Bool { held[key] != nil }

    /// How many keys are held.
    package var count: Int { held.count }

    /// How many keys are held at `priority`.
    package func count(_ priority: WorkPriority) -> Int {
        switch priority {
        case .high: high.count
        case .low: low.count
        }
    }

    private mutating func append(_ key: Key, priority: WorkPriority) {
        let ticket = nextTicket
        nextTicket += 1
        held[key] = (priority, ticket)
        lanes(priority) { lane in
            lane.entries.append((key, ticket))
            lane.count += 1
        }
    }

    private mutating func lanes<R>(_ priority: WorkPriority, _ body: (inout Lane) -> R) -> R {
        switch priority {
        case .high: body(&high)
        case .low: body(&low)
        }
    }

    private static func compact(_ lane: inout Lane) {
        if lane.head == lane.entries.count {
            lane.entries.removeAll(keepingCapacity: true)
            lane.head = 0
        } else if lane.head > 1_024, lane.head * 2 > lane.entries.count {
            lane.entries.removeFirst(lane.head)
            lane.head = 0
        }
    }
}
