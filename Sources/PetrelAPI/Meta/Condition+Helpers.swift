import KubeCore

extension Array where Element == Condition {
    /// The condition of `type`, if present.
    public func find(_ type: String) -> Condition? {
        first { $0.type == type }
    }

    /// Whether the condition of `type` is present with status `True`.
    public func isTrue(_ type: String) -> Bool { find(type)?.status == .true }

    /// Whether the condition of `type` is present with status `False`.
    public func isFalse(_ type: String) -> Bool { find(type)?.status == .false }

    /// Whether the condition of `type` is absent or has status `Unknown`.
    public func isUnknown(_ type: String) -> Bool { find(type).map { $0.status == .unknown } ?? true }

    /// Sets the condition of `type`, following `meta.SetStatusCondition`.
    ///
    /// A new condition is appended with `lastTransitionTime = now`. An existing one takes the new reason, message
    /// and observed generation in place; its `lastTransitionTime` moves to `now` only when `status` changes.
    /// A message longer than ``Condition/maxMessageBytes`` is cut (see ``Condition/bounded(_:)``), so the status
    /// always fits the CRD's `maxLength`.
    ///
    /// - Returns: whether anything changed.
    @discardableResult
    public mutating func set(
        type: String, status: ConditionStatus, reason: String, message: String, observedGeneration: Int64? = nil,
        now: Time = .now()
    ) -> Bool {
        let message = Condition.bounded(message)
        guard let index = firstIndex(where: { $0.type == type }) else {
            append(
                Condition(
                    type: type, status: status, observedGeneration: observedGeneration, lastTransitionTime: now,
                    reason: reason, message: message))
            return true
        }
        var condition = self[index]
        if condition.status != status {
            condition.status = status
            condition.lastTransitionTime = now
        }
        condition.reason = reason
        condition.message = message
        condition.observedGeneration = observedGeneration
        guard condition != self[index] else { return false }
        self[index] = condition
        return true
    }

    /// Sets `condition`, keeping the existing `lastTransitionTime` when the status is unchanged.
    ///
    /// - Returns: whether anything changed.
    @discardableResult
    public mutating func set(_ condition: Condition) -> Bool {
        set(
            type: condition.type, status: condition.status, reason: condition.reason, message: condition.message,
            observedGeneration: condition.observedGeneration, now: condition.lastTransitionTime)
    }

    /// Removes the condition of `type`; returns whether it was present.
    @discardableResult
    public mutating func remove(_ type: String) -> Bool {
        let before = count
        removeAll { $0.type == type }
        return count != before
    }
}

extension Condition {
    /// The longest condition message Petrel writes, in UTF-8 bytes: well under the CRDs' `maxLength` of 32,768.
    public static let maxMessageBytes = 16_384
    /// What ends a cut message.
    public static let truncationMarker = "... [truncated]"

    /// `message` cut to ``maxMessageBytes`` on a character boundary, ending with ``truncationMarker``; unchanged
    /// when it fits.
    public static func bounded(_ message: String) -> String {
        message.truncated(toUTF8Bytes: maxMessageBytes, marker: truncationMarker)
    }
}
